package metrics

import (
	"context"
	"runtime"
	rtmetrics "runtime/metrics"
	"sync"
	"time"
)

// runtimeSamples are the Go runtime figures exported, by the name of their
// gauge or counter.
var runtimeSamples = []struct {
	name, help, sample string
	counter            bool
}{
	{"go_goroutines", "Goroutines that exist now.", "/sched/goroutines:goroutines", false},
	{"go_heap_objects_bytes", "Bytes of heap memory occupied by live objects and dead ones not yet freed.", "/memory/classes/heap/objects:bytes", false},
	{"go_memory_total_bytes", "Bytes of memory mapped by the Go runtime.", "/memory/classes/total:bytes", false},
	{"go_gc_cycles_total", "Completed garbage collection cycles.", "/gc/cycles/total:gc-cycles", true},
}

// RegisterRuntime adds the process's start time, its Go version and a few
// Go runtime figures (goroutines, memory, GC cycles), read at each scrape.
func RegisterRuntime(r *Registry) {
	r.Gauge("process_start_time_seconds", "Start time of the process, in seconds since the Unix epoch.").
		Set(float64(time.Now().UnixMilli()) / 1000)
	r.Gauge("go_info", "The Go version memberd was built with.", "version").Set(1, runtime.Version())
	samples := make([]rtmetrics.Sample, len(runtimeSamples))
	gauges := make([]Gauge, len(runtimeSamples))
	for i, s := range runtimeSamples {
		samples[i].Name = s.sample
		kind := gauge
		if s.counter {
			kind = counter
		}
		gauges[i] = Gauge{r.register(s.name, s.help, kind, nil, nil)}
	}
	var mu sync.Mutex // scrapes may overlap
	r.OnScrape(func(context.Context) {
		mu.Lock()
		defer mu.Unlock()
		rtmetrics.Read(samples)
		for i, s := range samples {
			if s.Value.Kind() == rtmetrics.KindUint64 {
				gauges[i].Set(float64(s.Value.Uint64()))
			}
		}
	})
}
