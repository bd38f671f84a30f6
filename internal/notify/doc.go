// Package notify tells the public page's subscribers what was published:
// e-mail over SMTP (double opt-in, one-click unsubscribe) and signed
// webhooks, delivered from a persistent outbox.
//
// # Pieces
//
//   - Mailer sends one message through an SMTP relay with net/smtp: STARTTLS
//     whenever the relay offers it (or implicit TLS), AUTH only over TLS,
//     RequireTLS to refuse a relay that offers none.
//   - WebhookSender POSTs JSON signed with HMAC-SHA256 over the timestamp
//     and the body (header Firebreak-Signature: t=UNIX,v1=HEX; see
//     VerifySignature), with a delivery id header, a timeout, no redirects,
//     and by default no connection to loopback, private or other internal
//     addresses (checked on the resolved address of every connection, so
//     DNS cannot be used to point a hook inward).
//   - Worker claims due outbox rows with a lease, delivers them with bounded
//     concurrency, and records each outcome; failures are retried with
//     exponential backoff until the retry policy gives up (then the row is
//     dead), and 5xx SMTP replies or 410 Gone end a delivery at once.
//   - Handler is the public sign-up plane: POST /subscribe, GET and POST
//     /subscribe/confirm, GET and POST /unsubscribe (RFC 8058 one-click).
//     Confirming and unsubscribing need a POST, so a mail scanner that
//     fetches links does neither.
//
// Message texts are built only from a notice's public fields and the page's
// name and address.
//
// # Delivery guarantees
//
// A row is queued in the same transaction as the publish (or sign-up) that
// causes it, so nothing is lost: a crash before the commit leaves neither;
// a crash after it leaves the row for a worker. A row is marked sent only
// after the receiver accepted it (SMTP 250 after DATA, or an HTTP 2xx).
//
// Exactly once is not possible across a crash in general: if the process
// dies after the receiver took a message (after the SMTP client sent the
// final dot, or after a webhook request was sent) but before the "sent"
// mark is committed, the row's lease runs out and another worker delivers
// it again. The worker keeps that window small: a shutdown interrupts a
// conversation only before the final dot (after it, the mailer waits for
// the relay's answer, up to its timeout), and the outcome is recorded at
// once, on a context that a shutdown does not cancel. And it makes the
// repeat recognisable: a retry carries the same Message-ID, Date and body
// (e-mail) and the same Firebreak-Delivery id and body (webhooks), so
// receivers can drop duplicates. A crash before the final dot sends nothing
// twice: a relay cannot accept an incomplete message.
//
// # Tokens
//
// Confirmation and unsubscribe tokens are 256 random bits, stored only as
// SHA-256 hashes. A message must carry its raw token, so the outbox row
// keeps it until the row is sent or dead and then blanks it. Each notice
// mail has an unsubscribe token of its own.
package notify
