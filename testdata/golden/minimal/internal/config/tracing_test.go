package config

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// Tracing is off unless an endpoint (or the otlp exporter) is asked for,
// and reads the standard variables with their defaults.
func TestLoadTracing(t *testing.T) {
	t.Parallel()
	on := func(mod func(*Tracing)) Tracing {
		tr := Tracing{Endpoint: "http://collector:4318/v1/traces", Headers: map[string]string{},
			Timeout: 10 * time.Second, Compression: "none", ResourceAttributes: map[string]string{},
			Sampler: "parentbased_always_on", SamplerArg: 1, Propagators: []string{"tracecontext", "baggage"}}
		if mod != nil {
			mod(&tr)
		}
		return tr
	}
	cases := []struct {
		name string
		env  map[string]string
		want Tracing
	}{
		{"nothing set", map[string]string{}, Tracing{}},
		{"a service name alone", map[string]string{"OTEL_SERVICE_NAME": "shop"}, Tracing{}},
		{"endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}, on(nil)},
		{"traces endpoint as given", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://x.example/api/traces",
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:4318"},
			on(func(t *Tracing) { t.Endpoint = "https://x.example/api/traces" })},
		{"otlp exporter alone: the local collector", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"},
			on(func(t *Tracing) { t.Endpoint = "http://localhost:4318/v1/traces" })},
		{"exporter none wins", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, Tracing{}},
		{"sdk disabled wins", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, Tracing{}},
		{"everything", map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT":           "http://collector:4318",
			"OTEL_EXPORTER_OTLP_PROTOCOL":           "http/protobuf",
			"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL":    "http/protobuf",
			"OTEL_EXPORTER_OTLP_HEADERS":            "api-key=a%20b,x=1",
			"OTEL_EXPORTER_OTLP_TRACES_HEADERS":     "only=traces",
			"OTEL_EXPORTER_OTLP_TIMEOUT":            "2500",
			"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "gzip",
			"OTEL_RESOURCE_ATTRIBUTES":              "service.name=from-attrs,deployment.environment.name=prod",
			"OTEL_TRACES_SAMPLER":                   "parentbased_traceidratio",
			"OTEL_TRACES_SAMPLER_ARG":               "0.25",
			"OTEL_PROPAGATORS":                      "tracecontext",
		}, on(func(t *Tracing) {
			t.Headers = map[string]string{"only": "traces"}
			t.Timeout = 2500 * time.Millisecond
			t.Compression = "gzip"
			t.ResourceAttributes = map[string]string{"service.name": "from-attrs", "deployment.environment.name": "prod"}
			t.ServiceName = "from-attrs"
			t.Sampler, t.SamplerArg = "parentbased_traceidratio", 0.25
			t.Propagators = []string{"tracecontext"}
		})},
		{"service name wins over the attribute", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
			"OTEL_SERVICE_NAME": "shop", "OTEL_RESOURCE_ATTRIBUTES": "service.name=other"},
			on(func(t *Tracing) {
				t.ServiceName = "shop"
				t.ResourceAttributes = map[string]string{"service.name": "other"}
			})},
		{"propagators none", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_PROPAGATORS": "none"},
			on(func(t *Tracing) { t.Propagators = []string{} })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := loadTracing(envOf(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			if got.Enabled() != (tc.want.Endpoint != "") {
				t.Errorf("Enabled() = %v", got.Enabled())
			}
		})
	}
}

// A bad variable is refused at start-up, named, without echoing headers.
func TestLoadTracingRefusesBadValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER: must be otlp or none"},
		{map[string]string{"OTEL_SDK_DISABLED": "maybe"}, "OTEL_SDK_DISABLED: must be true or false"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT: must be an http or https URL"},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://x/"}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: must be an http or https URL"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL: must be http/protobuf"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: must be http/protobuf"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "10s"}, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: must be a positive number of milliseconds"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"}, "OTEL_EXPORTER_OTLP_COMPRESSION: must be gzip or none"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_TRACES_SAMPLER": "sometimes"}, "OTEL_TRACES_SAMPLER: must be one of"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"}, "OTEL_TRACES_SAMPLER_ARG: must be a ratio"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_PROPAGATORS": "b3"}, "OTEL_PROPAGATORS: each must be"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_HEADERS": "secret-token"}, "OTEL_EXPORTER_OTLP_HEADERS: must be key=value"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			_, err := loadTracing(envOf(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret-token") {
				t.Errorf("the error repeats a header: %v", err)
			}
		})
	}
}

// TracingVariables names exactly the variables loadTracing reads.
func TestTracingVariablesAreThoseRead(t *testing.T) {
	t.Parallel()
	read := map[string]bool{}
	_, err := loadTracing(func(k string) string {
		read[k] = true
		if k == "OTEL_TRACES_EXPORTER" {
			return "otlp"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(maps.Keys(read))
	if want := TracingVariables(); !slices.Equal(got, want) {
		t.Errorf("read %v\nlisted %v", got, want)
	}
}

// Load fills Tracing from the OTEL_* variables of its getenv (a .env file
// included), not from the process environment.
func TestLoadReadsTracing(t *testing.T) {
	t.Parallel()
	cfg, err := Load(envOf(map[string]string{"CONFIG_DIR": t.TempDir(),
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SERVICE_NAME": "shop"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Tracing.Endpoint != "http://collector:4318/v1/traces" || cfg.Tracing.ServiceName != "shop" {
		t.Fatalf("tracing %+v", cfg.Tracing)
	}
	if _, err := Load(envOf(map[string]string{"CONFIG_DIR": t.TempDir(), "OTEL_TRACES_EXPORTER": "jaeger"}), nil); err == nil {
		t.Fatal("a bad OTEL_TRACES_EXPORTER was accepted")
	}
}
