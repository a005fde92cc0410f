// Package smtp is a ports.Notifier that delivers messages as email through an SMTP
// server (a provider's submission endpoint, a local relay, or mailpit in tests), with
// github.com/wneessen/go-mail.
//
// Each Send opens one connection, sends one message and closes it: the notify jobs
// that call it are few and retried by the queue, and a connection pool would only add
// state to get wrong. A message goes out as multipart/mixed: a multipart/alternative
// of the plain-text part and, when the message has one, the HTML part, followed by the
// attachments (the booking's calendar event as text/calendar; method=PUBLISH). Its
// Message-ID is made from the parts of the message's key (ports.Message.Key: the
// message kind, the booking id and, for a kind a booking gets more than once, its
// Seq), so that a message sent again — the use cases record what they sent, and only a
// crash between the server's acceptance and that record repeats a message — carries
// the Message-ID of the first and can be recognised as the same.
//
// Errors are domain errors. A permanent rejection of the message (a 5xx reply to MAIL
// FROM, RCPT TO or the data) is invalid: sending it again cannot help. Everything else
// (no connection, a 4xx reply, TLS or authentication failing, a timeout, ctx ending)
// is unavailable: the message may go through later, once the server or the
// configuration is mended.
//
// The package imports ports, domain, go-mail and the standard library; it must not
// import another adapter. Its tests run against mailpit (see mailpittest).
package smtp
