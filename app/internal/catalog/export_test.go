package catalog

// DecodedLen is how many decoded values s keeps.
func DecodedLen(s *Store) int { return s.decoded.Len() }
