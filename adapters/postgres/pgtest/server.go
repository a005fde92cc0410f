package pgtest

import (
	"context"
	"errors"
	"path/filepath"
)

// Server is a single PostgreSQL server on a loopback port, trusting every local
// connection as the postgres superuser. Unlike the machine's server, a test may stop
// and start it, to see what its clients do while the database is away.
type Server struct {
	p *Pair // the primary of a pair with no replica: the same directory, binaries and user
}

// StartServer initialises a server (initdb) under a temporary directory and starts
// it. A root process runs it as the postgres user. Remove stops it and removes its
// directory.
func StartServer(ctx context.Context) (s *Server, err error) {
	p, err := newPair("matchpoint-server-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, p.Stop())
		}
	}()
	if err := p.initPrimary(ctx, ""); err != nil {
		return nil, err
	}
	s = &Server{p: p}
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// URL returns the URL of database name on the server.
func (s *Server) URL(name string) string { return s.p.PrimaryURL(name) }

// Start starts the server, stopped by Stop, again on the same port and data, and
// waits until it accepts connections.
func (s *Server) Start(ctx context.Context) error {
	if err := s.p.run(ctx, "pg_ctl", "-D", filepath.Join(s.p.dir, "primary"), "-l", filepath.Join(s.p.dir, "primary.log"), "-w", "-t", "60", "start"); err != nil {
		return s.p.withLog(err, "primary.log")
	}
	return nil
}

// Stop shuts the server down in one of pg_ctl's modes: "fast" ends every session
// (terminating connection due to administrator command) and stops cleanly;
// "immediate" kills the server as a crash would.
func (s *Server) Stop(ctx context.Context, mode string) error {
	return s.p.run(ctx, "pg_ctl", "-D", filepath.Join(s.p.dir, "primary"), "-m", mode, "-w", "-t", "60", "stop")
}

// Remove stops the server if it runs and removes its directory.
func (s *Server) Remove() error { return s.p.Stop() }
