// Package feed consumes live feeds into writ: a NATS JetStream stream, with
// at-least-once delivery made exactly-once in effect by the store's stream
// high-water marks (see ingest.Stream).
package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
)

// NATS says which JetStream stream to consume and how.
type NATS struct {
	URL     string        // e.g. nats://127.0.0.1:4222
	Stream  string        // the JetStream stream
	Subject string        // subject filter within it; empty: every subject
	Durable string        // durable consumer name; default "writ"
	Batch   int           // messages per batch; default 1000
	MaxWait time.Duration // how long a fetch waits for a full batch; default 1s
	// StopWhenIdle ends Run after a fetch returns no message (tests, catch-up runs).
	StopWhenIdle bool
}

// Name is the writ stream name the feed's high-water mark is kept under:
// the JetStream stream and filter, so two filters of one stream keep
// separate marks.
func (c NATS) Name() string {
	if c.Subject == "" {
		return "nats:" + c.Stream
	}
	return "nats:" + c.Stream + "/" + c.Subject
}

// Committed is what Run reports after each batch.
type Committed struct {
	Messages int
	FirstSeq int64
	LastSeq  int64
	ingest.StreamResult
}

// Run consumes the stream until ctx ends (or, with StopWhenIdle, until it is
// caught up). Each fetched batch is committed, mark and all, in one
// transaction, and acknowledged only after: a crash between the two makes
// NATS redeliver, and the mark makes the redelivery store nothing twice.
func Run(ctx context.Context, cfg NATS, st ingest.Store, m *ingest.Mapping, basis ingest.Basis, report func(Committed)) error {
	if cfg.Durable == "" {
		cfg.Durable = "writ"
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = time.Second
	}
	stream, err := ingest.NewStream(st, m, cfg.Name(), basis, time.Time{})
	if err != nil {
		return err
	}
	nc, err := nats.Connect(cfg.URL, nats.Name("writ feed"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connect to NATS at %s: %w", cfg.URL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, cfg.Stream, jetstream.ConsumerConfig{
		Durable: cfg.Durable, FilterSubject: cfg.Subject, AckPolicy: jetstream.AckAllPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy, AckWait: 30 * time.Second, MaxAckPending: 4 * cfg.Batch,
	})
	if err != nil {
		return fmt.Errorf("JetStream consumer %s on stream %s: %w", cfg.Durable, cfg.Stream, err)
	}
	log := slog.Default().With("component", "feed", "stream", cfg.Name())
	for ctx.Err() == nil {
		batch, err := cons.Fetch(cfg.Batch, jetstream.FetchMaxWait(cfg.MaxWait))
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("fetch from %s: %w", cfg.Stream, err)
		}
		var msgs []ingest.Message
		var last jetstream.Msg
		for msg := range batch.Messages() {
			md, err := msg.Metadata()
			if err != nil {
				return err
			}
			msgs = append(msgs, ingest.Message{Seq: int64(md.Sequence.Stream), Data: msg.Data()})
			last = msg
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("fetch from %s: %w", cfg.Stream, err)
		}
		if len(msgs) == 0 {
			if cfg.StopWhenIdle {
				return nil
			}
			continue
		}
		res, err := stream.Commit(ctx, msgs)
		if err != nil {
			return err
		}
		// AckAll: acknowledging the last acknowledges the whole batch.
		if err := last.DoubleAck(ctx); err != nil {
			log.Warn("ack failed; the batch will be redelivered and skipped", "err", err)
		}
		if report != nil {
			report(Committed{Messages: len(msgs), FirstSeq: msgs[0].Seq, LastSeq: msgs[len(msgs)-1].Seq, StreamResult: res})
		}
	}
	return nil
}

// CheckName refuses stream and consumer names NATS would reject.
func CheckName(what, name string) error {
	if name == "" || strings.ContainsAny(name, " \t\r\n.*>") {
		return writ.Errorf(writ.EInvalid, "%s %q: give a name without spaces, dots or wildcards", what, name)
	}
	return nil
}
