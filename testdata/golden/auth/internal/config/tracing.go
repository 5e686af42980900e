package config

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Tracing configures OpenTelemetry tracing. Its variables are the standard
// OTEL_* ones that every OpenTelemetry SDK reads, not keys of the YAML
// files: an operator sets them the same way for every service of a
// cluster. Tracing is off unless a traces endpoint is named
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or
// OTEL_TRACES_EXPORTER=otlp asks for the default one; off, nothing is
// traced and no exporter runs.
type Tracing struct {
	// Endpoint is the URL the spans are posted to (OTLP over HTTP with
	// protobuf, the only OTEL_EXPORTER_OTLP_PROTOCOL accepted): OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else
	// OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/traces", else, with
	// OTEL_TRACES_EXPORTER=otlp alone, http://localhost:4318/v1/traces.
	// Empty: tracing is off.
	Endpoint string
	// Headers are sent with every export (OTEL_EXPORTER_OTLP_HEADERS and
	// OTEL_EXPORTER_OTLP_TRACES_HEADERS, "key=value,…", values URL-encoded),
	// e.g. a vendor's API key.
	Headers map[string]string
	// Timeout bounds one export (OTEL_EXPORTER_OTLP_TIMEOUT and its TRACES_
	// twin, in milliseconds; default 10s).
	Timeout time.Duration
	// Compression is gzip or none (OTEL_EXPORTER_OTLP_COMPRESSION and its
	// TRACES_ twin; default none).
	Compression string
	// ServiceName names the service in every span (OTEL_SERVICE_NAME; else
	// service.name of OTEL_RESOURCE_ATTRIBUTES; else the program's name).
	ServiceName string
	// ResourceAttributes describe the process in every span
	// (OTEL_RESOURCE_ATTRIBUTES, "key=value,…", e.g. deployment.environment.name=production).
	ResourceAttributes map[string]string
	// Sampler decides which traces are kept (OTEL_TRACES_SAMPLER): always_on,
	// always_off, traceidratio, or parentbased_ and one of those (default
	// parentbased_always_on: a trace the caller sampled is kept, as is every
	// trace started here).
	Sampler string
	// SamplerArg is the ratio of the traceidratio samplers, 0–1
	// (OTEL_TRACES_SAMPLER_ARG; default 1).
	SamplerArg float64
	// Propagators are the header formats read from requests and written to
	// outgoing ones (OTEL_PROPAGATORS: tracecontext, baggage or none;
	// default tracecontext,baggage).
	Propagators []string
}

// TracingVariables lists the OTEL_* variables Load reads, for the files that
// set the service's environment (deploy manifests, .env).
func TracingVariables() []string {
	vars := []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
		"OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_PROPAGATORS"}
	for _, v := range []string{"ENDPOINT", "PROTOCOL", "HEADERS", "TIMEOUT", "COMPRESSION"} {
		vars = append(vars, "OTEL_EXPORTER_OTLP_"+v, "OTEL_EXPORTER_OTLP_TRACES_"+v)
	}
	slices.Sort(vars)
	return vars
}

// Enabled reports whether spans are exported.
func (t Tracing) Enabled() bool { return t.Endpoint != "" }

// The samplers and propagators Tracing accepts.
var (
	tracingSamplers = []string{"always_on", "always_off", "traceidratio", //nolint:gochecknoglobals // a table that is never written
		"parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"}
	tracingPropagators = []string{"tracecontext", "baggage", "none"} //nolint:gochecknoglobals // a table that is never written
)

// defaultTracesEndpoint is where OTEL_TRACES_EXPORTER=otlp alone sends
// spans: a collector or an agent beside the process, as the specification
// has it.
const defaultTracesEndpoint = "http://localhost:4318/v1/traces"

// loadTracing reads the OTEL_* variables. Each setting may be given for
// traces alone (OTEL_EXPORTER_OTLP_TRACES_…), which wins over the one for
// every signal (OTEL_EXPORTER_OTLP_…).
func loadTracing(getenv func(string) string) (Tracing, error) {
	t := Tracing{Timeout: 10 * time.Second, Sampler: "parentbased_always_on", SamplerArg: 1,
		Propagators: []string{"tracecontext", "baggage"}}
	otlp := func(name string) (string, string) {
		if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_" + name)); v != "" {
			return "OTEL_EXPORTER_OTLP_TRACES_" + name, v
		}
		return "OTEL_EXPORTER_OTLP_" + name, strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_" + name))
	}
	if on, err := tracingWanted(getenv); err != nil || !on {
		return Tracing{}, err
	}
	steps := []func() error{
		func() error { return t.setEndpoint(getenv, otlp) },
		func() error { return checkProtocol(otlp("PROTOCOL")) },
		func() (err error) { t.Headers, err = parsePairs(otlp("HEADERS")); return err },
		func() error { return t.setTimeout(otlp("TIMEOUT")) },
		func() error { return t.setCompression(otlp("COMPRESSION")) },
		func() error { return t.setResource(getenv) },
		func() error { return t.setSampler(getenv) },
		func() error { return t.setPropagators(getenv("OTEL_PROPAGATORS")) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return Tracing{}, err
		}
	}
	return t, nil
}

// tracingWanted reports whether the variables ask for spans to be exported.
func tracingWanted(getenv func(string) string) (bool, error) {
	disabled := strings.TrimSpace(getenv("OTEL_SDK_DISABLED"))
	if disabled != "" {
		off, err := strconv.ParseBool(disabled)
		if err != nil {
			return false, invalidVar("OTEL_SDK_DISABLED", "must be true or false", disabled)
		}
		if off {
			return false, nil
		}
	}
	switch exp := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); exp {
	case "none":
		return false, nil
	case "otlp":
		return true, nil
	case "":
		return getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "", nil
	default:
		return false, invalidVar("OTEL_TRACES_EXPORTER", "must be otlp or none", exp)
	}
}

func (t *Tracing) setEndpoint(getenv func(string) string, otlp func(string) (string, string)) error {
	name, raw := "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
	if raw == "" {
		if name, raw = otlp("ENDPOINT"); raw != "" {
			raw = strings.TrimSuffix(raw, "/") + "/v1/traces"
		}
	}
	if raw == "" {
		raw = defaultTracesEndpoint
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalidVar(name, "must be an http or https URL", raw)
	}
	t.Endpoint = raw
	return nil
}

// checkProtocol accepts OTLP over HTTP with protobuf alone, which every
// collector takes (on port 4318): gRPC would bring a second HTTP stack
// into every binary.
func checkProtocol(name, raw string) error {
	if raw != "" && raw != "http/protobuf" {
		return invalidVar(name, "must be http/protobuf (collectors take it on port 4318)", raw)
	}
	return nil
}

func (t *Tracing) setTimeout(name, raw string) error {
	if raw == "" {
		return nil
	}
	ms, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || ms <= 0 {
		return invalidVar(name, "must be a positive number of milliseconds", raw)
	}
	t.Timeout = time.Duration(ms) * time.Millisecond
	return nil
}

func (t *Tracing) setCompression(name, raw string) error {
	switch raw {
	case "", "none":
		t.Compression = "none"
	case "gzip":
		t.Compression = "gzip"
	default:
		return invalidVar(name, "must be gzip or none", raw)
	}
	return nil
}

func (t *Tracing) setResource(getenv func(string) string) (err error) {
	if t.ResourceAttributes, err = parsePairs("OTEL_RESOURCE_ATTRIBUTES", getenv("OTEL_RESOURCE_ATTRIBUTES")); err != nil {
		return err
	}
	t.ServiceName = strings.TrimSpace(getenv("OTEL_SERVICE_NAME"))
	if t.ServiceName == "" {
		t.ServiceName = t.ResourceAttributes["service.name"]
	}
	return nil
}

func (t *Tracing) setSampler(getenv func(string) string) error {
	if s := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER")); s != "" {
		if !slices.Contains(tracingSamplers, s) {
			return invalidVar("OTEL_TRACES_SAMPLER", "must be one of "+strings.Join(tracingSamplers, ", "), s)
		}
		t.Sampler = s
	}
	raw := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER_ARG"))
	if raw == "" || !strings.HasSuffix(t.Sampler, "traceidratio") {
		return nil
	}
	ratio, err := strconv.ParseFloat(raw, 64)
	if err != nil || ratio < 0 || ratio > 1 {
		return invalidVar("OTEL_TRACES_SAMPLER_ARG", "must be a ratio from 0 to 1", raw)
	}
	t.SamplerArg = ratio
	return nil
}

func (t *Tracing) setPropagators(raw string) error {
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	list := splitList(raw)
	for _, p := range list {
		if !slices.Contains(tracingPropagators, p) {
			return invalidVar("OTEL_PROPAGATORS", "each must be tracecontext, baggage or none", p)
		}
	}
	t.Propagators = slices.DeleteFunc(list, func(p string) bool { return p == "none" })
	return nil
}

// parsePairs reads the "key=value,…" lists of the OTEL_* variables, whose
// values are URL-encoded.
func parsePairs(name, raw string) (map[string]string, error) {
	out := map[string]string{}
	for _, item := range splitList(raw) {
		k, v, ok := strings.Cut(item, "=")
		k = strings.TrimSpace(k)
		val, err := url.PathUnescape(strings.TrimSpace(v))
		if !ok || k == "" || err != nil {
			// The value is not repeated: headers carry API keys.
			return nil, fmt.Errorf("config: %s: must be key=value pairs separated by commas, values URL-encoded", name)
		}
		out[k] = val
	}
	return out, nil
}

// invalidVar is Invalid for a variable that is no key of the configuration.
func invalidVar(name, rule, got string) error {
	return Invalid(strings.ToLower(name), rule, got)
}
