// The checkout workload: the OpenTelemetry demo's PlaceOrder publish and its
// kafkaQueueProblems fan-out (src/checkout/main.go, sendToPostProcessor),
// with a stand-in for sarama's async producer and the broker behind it.
//
// As in the demo, the main publish does `Input() <- msg` and then waits on
// the shared Successes() or Errors() channel or the caller's context; with
// the flag at N it then starts N goroutines that each do `Input() <- msg`
// and `<-Successes()`, with no timeout. Input(), Successes() and Errors()
// are unbuffered, as in sarama. A success is returned as soon as the
// message is written (RequiredAcks = NoResponse); a failed write is retried
// and then returned on Errors(), which a logger goroutine drains. So every
// error leaves one goroutine waiting on Successes() for good. The Go
// runtime's own GC and GOMEMLIMIT decide when memory runs out.
//
// The scenario's parameters arrive as environment variables (the harness's
// `incident run` sets them, named after the scenario's fields):
//
//	KAFKA_THROUGHPUT_MSGS_PER_S  kafka.throughput_msgs_per_s: the broker's write rate
//	KAFKA_ERROR_RATIO            kafka.error_ratio: writes failing after retries
//	KAFKA_BUFFER_MSGS            kafka.producer_buffer_msgs: accepted, not yet written
//	KAFKA_RETRY_MAX              kafka.retry_max
//	KAFKA_RETRY_BACKOFF_MS       kafka.retry_backoff
//	KAFKA_BROKER_WINDOWS         kafka.broker_windows: "down@60-120,slow@200-260:50" (scenario s)
//	KAFKA_EPOCH_MS               Unix ms of the scenario's t = 0, so a restart keeps the schedule
//	MESSAGE_BYTES                services.checkout.checkout.message_heap: one goroutine's copy
//	BASELINE_BYTES               services.checkout.go.baseline_live_heap: live ballast
//	CALLER_DEADLINE_MS           services.checkout.checkout.deadline: the caller's context
//	DOWNSTREAM_MS, DOWNSTREAM_SIGMA  services.checkout.checkout.downstream(_sigma): PlaceOrder's
//	                             calls before publishing, a log-normal wait
//	SEED                         seed: which writes fail
//
//	PORT=8081 FLAGD_URL=http://127.0.0.1:8016 KAFKA_ADDR=local ./checkout
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"math"
	"math/rand"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	flagKey     = "kafkaQueueProblems"
	maxFanOut   = 100000
	flagTimeout = 500 * time.Millisecond
	pageBytes   = 4096
)

// config is every parameter the workload takes from the scenario.
type config struct {
	msgsPerS       float64
	errorRatio     float64
	bufferMsgs     int
	retryMax       int
	retryBackoff   time.Duration
	windows        []window
	epoch          time.Time
	messageBytes   int
	baselineBytes  int
	callerDeadline time.Duration
	downstream     time.Duration
	downstreamSig  float64
	seed           int64
}

// window is a stretch of scenario time when the broker is down or slow.
type window struct {
	from, until time.Duration
	down        bool
	msgsPerS    float64
}

func readConfig() config {
	epoch := time.Now()
	if ms, err := strconv.ParseInt(os.Getenv("KAFKA_EPOCH_MS"), 10, 64); err == nil && ms > 0 {
		epoch = time.UnixMilli(ms)
	}
	return config{
		msgsPerS:       envFloat("KAFKA_THROUGHPUT_MSGS_PER_S", 20000),
		errorRatio:     envFloat("KAFKA_ERROR_RATIO", 0),
		bufferMsgs:     int(envFloat("KAFKA_BUFFER_MSGS", 256)),
		retryMax:       int(envFloat("KAFKA_RETRY_MAX", 3)),
		retryBackoff:   time.Duration(envFloat("KAFKA_RETRY_BACKOFF_MS", 100)) * time.Millisecond,
		windows:        parseWindows(os.Getenv("KAFKA_BROKER_WINDOWS")),
		epoch:          epoch,
		messageBytes:   int(envFloat("MESSAGE_BYTES", 160)),
		baselineBytes:  int(envFloat("BASELINE_BYTES", 0)),
		callerDeadline: time.Duration(envFloat("CALLER_DEADLINE_MS", 15000)) * time.Millisecond,
		downstream:     time.Duration(envFloat("DOWNSTREAM_MS", 0) * float64(time.Millisecond)),
		downstreamSig:  envFloat("DOWNSTREAM_SIGMA", 0),
		seed:           int64(envFloat("SEED", 1)),
	}
}

// parseWindows reads "down@60-120,slow@200-260:50" (seconds of scenario time).
func parseWindows(text string) []window {
	var out []window
	for _, part := range strings.Split(text, ",") {
		if part == "" {
			continue
		}
		var w window
		state, rest, _ := strings.Cut(part, "@")
		span, rate, _ := strings.Cut(rest, ":")
		from, until, _ := strings.Cut(span, "-")
		f, err1 := strconv.ParseFloat(from, 64)
		u, err2 := strconv.ParseFloat(until, 64)
		if err1 != nil || err2 != nil || (state != "down" && state != "slow") {
			log.Fatalf("KAFKA_BROKER_WINDOWS: cannot read %q (want down@FROM-UNTIL or slow@FROM-UNTIL:RATE)", part)
		}
		w.from = time.Duration(f * float64(time.Second))
		w.until = time.Duration(u * float64(time.Second))
		w.down = state == "down"
		w.msgsPerS, _ = strconv.ParseFloat(rate, 64)
		out = append(out, w)
	}
	return out
}

// producer stands in for sarama's AsyncProducer and the broker behind it.
type producer struct {
	cfg       config
	input     chan []byte // Input(): unbuffered
	successes chan []byte // Successes(): unbuffered
	errors    chan []byte // Errors(): unbuffered
	pipeline  chan []byte // accepted, waiting to be written (ChannelBufferSize)
	retries   chan retry  // failed writes waiting out their back-off
	rng       *rand.Rand
	written   atomic.Int64
	failed    atomic.Int64
}

type retry struct {
	msg []byte
	due time.Time
}

func newProducer(cfg config) *producer {
	p := &producer{
		cfg:       cfg,
		input:     make(chan []byte),
		successes: make(chan []byte),
		errors:    make(chan []byte),
		pipeline:  make(chan []byte, cfg.bufferMsgs),
		retries:   make(chan retry, cfg.bufferMsgs),
		rng:       rand.New(rand.NewSource(cfg.seed)),
	}
	go p.dispatch()
	go p.write()
	go p.returnErrors()
	// The demo's producer.go: a goroutine logs every error it drains.
	go func() {
		for range p.errors {
			log.Printf("Failed to write message: kafka: Failed to deliver 1 messages.")
		}
	}()
	return p
}

func (p *producer) dispatch() {
	for m := range p.input {
		p.pipeline <- m
	}
}

// broker says whether the broker is down and its write rate at time t.
func (p *producer) broker(t time.Time) (bool, float64) {
	at := t.Sub(p.cfg.epoch)
	for _, w := range p.cfg.windows {
		if at >= w.from && at < w.until {
			if w.down {
				return true, p.cfg.msgsPerS
			}
			return false, w.msgsPerS
		}
	}
	return false, p.cfg.msgsPerS
}

// write writes each message at the broker's rate; under NoResponse the
// success is returned at once, and it blocks until someone takes it.
func (p *producer) write() {
	next := time.Now()
	for m := range p.pipeline {
		down, rate := p.broker(time.Now())
		if rate <= 0 {
			rate = 1
		}
		next = next.Add(time.Duration(float64(time.Second) / rate))
		if now := time.Now(); next.Before(now) {
			next = now
		} else if d := next.Sub(now); d > time.Millisecond {
			time.Sleep(d)
		}
		if down || p.rng.Float64() < p.cfg.errorRatio {
			backoff := time.Duration(p.cfg.retryMax) * p.cfg.retryBackoff
			p.retries <- retry{msg: m, due: time.Now().Add(backoff)}
			continue
		}
		p.written.Add(1)
		p.successes <- m
	}
}

// returnErrors hands each failed write to Errors() once its retries are spent.
func (p *producer) returnErrors() {
	for r := range p.retries {
		if d := time.Until(r.due); d > 0 {
			time.Sleep(d)
		}
		p.failed.Add(1)
		p.errors <- r.msg
	}
}

type server struct {
	cfg            config
	flagdURL       string
	kafka          bool
	producer       *producer
	orders         atomic.Int64
	overloadActive atomic.Int64
	peakGoroutines atomic.Int64
	warned         sync.Once
	client         *http.Client
	ballast        []byte
}

// flagValue asks flagd over OFREP, as the demo's OpenFeature provider does.
func (s *server) flagValue() int {
	if s.flagdURL == "" {
		return 0
	}
	url := s.flagdURL + "/ofrep/v1/evaluate/flags/" + flagKey
	resp, err := s.client.Post(url, "application/json", bytes.NewBufferString(`{"context":{}}`))
	if err != nil {
		log.Printf("flag evaluation failed: %v", err)
		return 0
	}
	defer resp.Body.Close()
	var body struct {
		Value json.Number `json:"value"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&body) != nil {
		return 0
	}
	n, err := strconv.Atoi(body.Value.String())
	if err != nil || n < 0 {
		return 0
	}
	if n > maxFanOut {
		n = maxFanOut
	}
	return n
}

func (s *server) placeOrder(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.callerDeadline)
	defer cancel()
	// Cart, catalog, currency, payment, shipping and email, as one wait.
	if s.cfg.downstream > 0 {
		d := float64(s.cfg.downstream) * math.Exp(s.cfg.downstreamSig*rand.NormFloat64())
		select {
		case <-time.After(time.Duration(d)):
		case <-ctx.Done():
			http.Error(w, "context deadline exceeded", http.StatusGatewayTimeout)
			return
		}
	}
	id := s.orders.Add(1)
	msg := make([]byte, s.cfg.messageBytes)
	copy(msg, fmt.Sprintf("order %d", id))
	log.Printf("order placed: %d", id)
	if s.kafka {
		s.sendToPostProcessor(ctx, msg)
	}
	if ctx.Err() != nil {
		http.Error(w, "context deadline exceeded", http.StatusGatewayTimeout)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"order_id":%d}`, id)
}

func (s *server) sendToPostProcessor(ctx context.Context, msg []byte) {
	p := s.producer
	select {
	case p.input <- msg:
		select {
		case <-p.successes:
		case <-p.errors:
			log.Printf("Failed to write message: kafka: Failed to deliver 1 messages.")
		case <-ctx.Done():
			log.Printf("Context canceled before success message received: %v", ctx.Err())
		}
	case <-ctx.Done():
		log.Printf("Failed to send message to Kafka within context deadline: %v", ctx.Err())
		return
	}
	n := s.flagValue()
	if n == 0 {
		return
	}
	s.warned.Do(func() {
		log.Printf("Warning: FeatureFlag '%s' is activated, overloading queue now.", flagKey)
	})
	for i := 0; i < n; i++ {
		held := make([]byte, len(msg))
		copy(held, msg)
		s.overloadActive.Add(1)
		go func(m []byte) {
			p.input <- m
			<-p.successes
			s.overloadActive.Add(-1)
		}(held)
	}
	s.notePeak()
}

// notePeak keeps the highest goroutine count seen: the runtime never frees
// a goroutine's descriptor, so memory ratchets to this peak.
func (s *server) notePeak() {
	n := int64(runtime.NumGoroutine())
	for {
		old := s.peakGoroutines.Load()
		if n <= old || s.peakGoroutines.CompareAndSwap(old, n) {
			return
		}
	}
}

// metrics is the runtime's own view, for the harness to record.
func (s *server) metrics(w http.ResponseWriter, r *http.Request) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s.notePeak()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]int64{
		"goroutines":        int64(runtime.NumGoroutine()),
		"peak_goroutines":   s.peakGoroutines.Load(),
		"heap_alloc_bytes":  int64(m.HeapAlloc),
		"heap_sys_bytes":    int64(m.HeapSys),
		"stack_inuse_bytes": int64(m.StackInuse),
		"runtime_sys_bytes": int64(m.Sys),
		"gc_count":          int64(m.NumGC),
		"total_alloc_bytes": int64(m.TotalAlloc),
		"next_gc_bytes":     int64(m.NextGC),
		"orders":            s.orders.Load(),
		"overload_active":   s.overloadActive.Load(),
		"delivered":         s.producer.written.Load(),
		"failed":            s.producer.failed.Load(),
		"ballast_bytes":     int64(len(s.ballast)),
	})
}

// newBallast is live heap that makes the idle working set the scenario's:
// every page is written so it is resident.
func newBallast(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += pageBytes {
		b[i] = 1
	}
	return b
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	cfg := readConfig()
	s := &server{
		cfg:      cfg,
		flagdURL: os.Getenv("FLAGD_URL"),
		kafka:    os.Getenv("KAFKA_ADDR") != "",
		producer: newProducer(cfg),
		client:   &http.Client{Timeout: flagTimeout},
		ballast:  newBallast(cfg.baselineBytes),
	}
	addr := os.Getenv("HOST") + ":" + envOr("PORT", "8081")
	if os.Getenv("HOST") == "" {
		addr = "127.0.0.1:" + envOr("PORT", "8081")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/oteldemo.CheckoutService/PlaceOrder", s.placeOrder)
	mux.HandleFunc("/placeorder", s.placeOrder)
	// The demo front end's route, so a locustfile for the demo works here too.
	mux.HandleFunc("/api/checkout", s.placeOrder)
	mux.HandleFunc("/metrics", s.metrics)
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	log.Printf("checkout listening on %s (kafka configured: %v, broker %.0f msg/s, error ratio %g, windows %d, ballast %d B)",
		addr, s.kafka, cfg.msgsPerS, cfg.errorRatio, len(cfg.windows), cfg.baselineBytes)
	log.Fatal(http.ListenAndServe(addr, mux))
	runtime.KeepAlive(s.ballast)
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func envFloat(key string, fallback float64) float64 {
	v, err := strconv.ParseFloat(os.Getenv(key), 64)
	if err != nil || v < 0 {
		return fallback
	}
	return v
}
