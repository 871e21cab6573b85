// The checkout workload: the OpenTelemetry demo's PlaceOrder fan-out, small
// enough to read. Each order publishes one message to a producer with
// bounded throughput (the Kafka broker); while the flag kafkaQueueProblems
// is N > 0, it also starts N goroutines that each hold a copy of the message
// and block until the producer delivers it, as the demo's checkout does.
// The Go runtime's own GC and GOMEMLIMIT decide when memory runs out.
//
//	PORT=8081 FLAGD_URL=http://127.0.0.1:8016 KAFKA_ADDR=local ./checkout
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const (
	flagKey         = "kafkaQueueProblems"
	messageBytes    = 512 // the model's message_heap (presets/base/otel-demo.toml)
	maxFanOut       = 100000
	flagTimeout     = 500 * time.Millisecond
	defaultMsgsPerS = 200
)

type producer struct {
	input     chan []byte
	delivered atomic.Int64
}

// run delivers at most msgsPerS messages a second, the broker's throughput.
func (p *producer) run(msgsPerS int) {
	interval := time.Second / time.Duration(msgsPerS)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for range ticker.C {
		<-p.input
		p.delivered.Add(1)
	}
}

type server struct {
	flagdURL       string
	kafka          bool
	producer       *producer
	orders         atomic.Int64
	overloadActive atomic.Int64
	warned         sync.Once
	client         *http.Client
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
	id := s.orders.Add(1)
	msg := make([]byte, messageBytes)
	copy(msg, fmt.Sprintf("order %d", id))
	log.Printf("order placed: %d", id)
	if s.kafka {
		s.sendToPostProcessor(msg)
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"order_id":%d}`, id)
}

func (s *server) sendToPostProcessor(msg []byte) {
	select {
	case s.producer.input <- msg:
	case <-time.After(5 * time.Second):
		log.Printf("Failed to send message to Kafka within context deadline: context deadline exceeded")
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
		held := append([]byte(nil), msg...)
		s.overloadActive.Add(1)
		go func() {
			s.producer.input <- held
			s.overloadActive.Add(-1)
		}()
	}
	log.Printf("Done with #%d messages for overload simulation.", n)
}

// metrics is the runtime's own view, for the harness to record.
func (s *server) metrics(w http.ResponseWriter, r *http.Request) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]int64{
		"goroutines":       int64(runtime.NumGoroutine()),
		"heap_alloc_bytes": int64(m.HeapAlloc),
		"heap_sys_bytes":   int64(m.HeapSys),
		"gc_count":         int64(m.NumGC),
		"next_gc_bytes":    int64(m.NextGC),
		"orders":           s.orders.Load(),
		"overload_active":  s.overloadActive.Load(),
		"delivered":        s.producer.delivered.Load(),
	})
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	rate, err := strconv.Atoi(os.Getenv("PRODUCER_MSGS_PER_S"))
	if err != nil || rate <= 0 {
		rate = defaultMsgsPerS
	}
	p := &producer{input: make(chan []byte)}
	go p.run(rate)
	s := &server{
		flagdURL: os.Getenv("FLAGD_URL"),
		kafka:    os.Getenv("KAFKA_ADDR") != "",
		producer: p,
		client:   &http.Client{Timeout: flagTimeout},
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
	log.Printf("checkout listening on %s (kafka configured: %v, producer %d msg/s)", addr, s.kafka, rate)
	log.Fatal(http.ListenAndServe(addr, mux))
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
