// Package metrics keeps counters, gauges and histograms in memory and
// serves them in the Prometheus text exposition format (version 0.0.4),
// the format every Prometheus-compatible scraper reads. It is the small
// part of a metrics client memberd needs, on the standard library.
package metrics

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Registry holds metric families and writes them when scraped.
type Registry struct {
	mu       sync.Mutex
	families map[string]*family
	// collectors run before each scrape, to set gauges read from elsewhere.
	collectors []func(context.Context)
}

// New returns an empty registry.
func New() *Registry { return &Registry{families: map[string]*family{}} }

type kind string

const (
	counter   kind = "counter"
	gauge     kind = "gauge"
	histogram kind = "histogram"
)

// family is a metric and its series, one per combination of label values.
type family struct {
	name, help string
	kind       kind
	labels     []string
	buckets    []float64 // upper bounds, for histograms
	mu         sync.RWMutex
	series     map[string]*series
}

// series is one labelled value: a float (counter, gauge) or a histogram.
type series struct {
	values []string
	bits   atomic.Uint64 // float64 bits of the value
	mu     sync.Mutex    // histograms: counts and sum
	counts []uint64      // per bucket, not cumulative; the last is +Inf
	sum    float64
}

func (r *Registry) register(name, help string, k kind, buckets []float64, labels []string) *family {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.families[name]; ok {
		panic("metrics: " + name + " registered twice")
	}
	f := &family{name: name, help: help, kind: k, labels: labels, buckets: buckets, series: map[string]*series{}}
	r.families[name] = f
	if len(labels) == 0 {
		f.with(nil) // a metric without labels is exposed from the start, at 0
	}
	return f
}

// with returns the series of the label values, creating it.
func (f *family) with(values []string) *series {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("metrics: %s takes %d label values, got %d", f.name, len(f.labels), len(values)))
	}
	key := strings.Join(values, "\xff")
	f.mu.RLock()
	s, ok := f.series[key]
	f.mu.RUnlock()
	if ok {
		return s
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok = f.series[key]; !ok {
		s = &series{values: slices.Clone(values)}
		if f.kind == histogram {
			s.counts = make([]uint64, len(f.buckets)+1)
		}
		f.series[key] = s
	}
	return s
}

func (s *series) add(v float64) {
	for {
		old := s.bits.Load()
		if s.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// Counter is a value that only goes up, per label values.
type Counter struct{ f *family }

// Counter registers a counter; its name should end in _total.
func (r *Registry) Counter(name, help string, labels ...string) Counter {
	return Counter{r.register(name, help, counter, nil, labels)}
}

// Add adds n (not negative) to the series of the label values.
func (c Counter) Add(n float64, values ...string) { c.f.with(values).add(n) }

// Inc adds 1.
func (c Counter) Inc(values ...string) { c.Add(1, values...) }

// Gauge is a value that goes up and down, per label values.
type Gauge struct{ f *family }

// Gauge registers a gauge.
func (r *Registry) Gauge(name, help string, labels ...string) Gauge {
	return Gauge{r.register(name, help, gauge, nil, labels)}
}

// Set sets the series of the label values.
func (g Gauge) Set(v float64, values ...string) { g.f.with(values).bits.Store(math.Float64bits(v)) }

// Add adds v (may be negative).
func (g Gauge) Add(v float64, values ...string) { g.f.with(values).add(v) }

// Histogram counts observations in buckets, per label values.
type Histogram struct{ f *family }

// Histogram registers a histogram with the buckets' upper bounds, in
// increasing order (+Inf is implied).
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) Histogram {
	if !sort.Float64sAreSorted(buckets) {
		panic("metrics: buckets of " + name + " are not in increasing order")
	}
	return Histogram{r.register(name, help, histogram, slices.Clone(buckets), labels)}
}

// Observe records v in the series of the label values.
func (h Histogram) Observe(v float64, values ...string) {
	s := h.f.with(values)
	i := sort.SearchFloat64s(h.f.buckets, v) // the first bound >= v
	s.mu.Lock()
	s.counts[i]++
	s.sum += v
	s.mu.Unlock()
}

// Since observes the seconds since start.
func (h Histogram) Since(start time.Time, values ...string) {
	h.Observe(time.Since(start).Seconds(), values...)
}

// OnScrape runs collect before each scrape, with the scrape's context; it
// sets gauges whose values live elsewhere (a database, the runtime).
func (r *Registry) OnScrape(collect func(context.Context)) {
	r.mu.Lock()
	r.collectors = append(r.collectors, collect)
	r.mu.Unlock()
}

// ContentType is the media type of the text exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// ServeHTTP runs the collectors and writes every metric.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	collectors := slices.Clone(r.collectors)
	r.mu.Unlock()
	for _, c := range collectors {
		c(req.Context())
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Cache-Control", "no-store")
	bw := bufio.NewWriter(w)
	r.write(bw)
	bw.Flush()
}

// write writes the families in name order, each series in label order.
func (r *Registry) write(w *bufio.Writer) {
	r.mu.Lock()
	fams := make([]*family, 0, len(r.families))
	for _, f := range r.families {
		fams = append(fams, f)
	}
	r.mu.Unlock()
	sort.Slice(fams, func(i, j int) bool { return fams[i].name < fams[j].name })
	for _, f := range fams {
		f.mu.RLock()
		ss := make([]*series, 0, len(f.series))
		for _, s := range f.series {
			ss = append(ss, s)
		}
		f.mu.RUnlock()
		if len(ss) == 0 {
			continue
		}
		sort.Slice(ss, func(i, j int) bool { return slices.Compare(ss[i].values, ss[j].values) < 0 })
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.name, helpEscaper.Replace(f.help), f.name, f.kind)
		for _, s := range ss {
			if f.kind != histogram {
				writeSample(w, f.name, f.labels, s.values, "", "", math.Float64frombits(s.bits.Load()))
				continue
			}
			s.mu.Lock()
			counts, sum := slices.Clone(s.counts), s.sum
			s.mu.Unlock()
			var cum uint64
			for i, n := range counts {
				cum += n
				le := "+Inf"
				if i < len(f.buckets) {
					le = formatFloat(f.buckets[i])
				}
				writeSample(w, f.name+"_bucket", f.labels, s.values, "le", le, float64(cum))
			}
			writeSample(w, f.name+"_sum", f.labels, s.values, "", "", sum)
			writeSample(w, f.name+"_count", f.labels, s.values, "", "", float64(cum))
		}
	}
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

// writeSample writes `name{l="v",...,extra="x"} value`.
func writeSample(w *bufio.Writer, name string, labels, values []string, extra, extraValue string, v float64) {
	w.WriteString(name)
	if len(labels) > 0 || extra != "" {
		w.WriteByte('{')
		for i, l := range labels {
			if i > 0 {
				w.WriteByte(',')
			}
			fmt.Fprintf(w, `%s="%s"`, l, labelEscaper.Replace(values[i]))
		}
		if extra != "" {
			if len(labels) > 0 {
				w.WriteByte(',')
			}
			fmt.Fprintf(w, `%s="%s"`, extra, extraValue)
		}
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	w.WriteString(formatFloat(v))
	w.WriteByte('\n')
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
