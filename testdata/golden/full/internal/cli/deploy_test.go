package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"example.com/demo/internal/buildinfo"
	"example.com/demo/internal/config"
	"example.com/demo/internal/httpapi"
)

// The deploy kit (deploy/k8s, compose.yaml, the Dockerfile) is held to the
// code it deploys: every command and flag it runs exists in the command tree,
// every variable it sets is a setting of internal/config, the configuration
// each container gets loads, the ports are the configured ones, the probes
// are routes of the gin engine, and each container is given longer to stop
// than the service takes to shut down. Nothing here needs kubectl, a cluster
// or Docker: the files are parsed.

// root is the project's root, from this package's directory.
const root = "../.."

// The probes the kubelet calls, by the name of their field.
var probePaths = map[string]string{
	"livenessProbe":  "/api/v1/health/live",
	"readinessProbe": "/api/v1/health/ready",
	"startupProbe":   "/api/v1/health/startup",
}

// secretSamples stand in for the values of a Secret when a container's
// configuration is loaded.
var secretSamples = map[string]string{
	"DATABASE_URL":           "postgres://deploy-check@db.invalid:5432/deploy?sslmode=require",
	"DATABASE_DIRECT_URL":    "postgres://deploy-check@db-direct.invalid:5432/deploy?sslmode=require",
	"INITIAL_ADMIN_PASSWORD": "Deploy-Check-7319-kit",
}

// container is a container of the service's image, from a Deployment or a
// compose service: what the checks compare with the code.
type container struct {
	where   string
	args    []string
	env     map[string]string // the values it is given; a Secret's are secretSamples
	secrets map[string]string // variable → key in the Secret
	ports   map[string]int    // containerPort by name ("" when unnamed)
	probes  map[string]probe  // by field: livenessProbe…
	grace   time.Duration     // how long it is given to stop after SIGTERM
	mounts  []string          // writable paths
	init    bool              // an init container (runs to completion first)
}

type probe struct {
	path string
	port any // a port name or number
}

func TestDeployKitMatchesTheCode(t *testing.T) {
	t.Parallel()
	image := readDockerfile(t)
	kit := readKit(t)
	var all []container
	for _, d := range kit.deployments(t) {
		all = append(all, d.containers(t)...)
	}
	compose := readCompose(t)
	all = append(all, composeContainers(t, compose)...)
	if len(all) == 0 {
		t.Fatal("no container of the service's image in deploy/k8s or compose.yaml")
	}
	for _, c := range all {
		checkContainer(t, c, image)
	}
	t.Run("kubernetes", func(t *testing.T) { t.Parallel(); checkKubernetes(t, kit) })
	t.Run("compose", func(t *testing.T) { t.Parallel(); checkCompose(t, compose) })
	t.Run("every long-running command is deployed", func(t *testing.T) {
		t.Parallel()
		for _, name := range deployedCommands() {
			for _, from := range []string{"deploy/k8s", "compose.yaml"} {
				if !slices.ContainsFunc(all, func(c container) bool {
					return !c.init && strings.HasPrefix(c.where, from) && len(c.args) > 0 && c.args[0] == name
				}) {
					t.Errorf("%s runs no %q container", from, name)
				}
			}
		}
	})
}

// deployedCommands are the commands that run until stopped: serve, and the
// worker where there is one.
func deployedCommands() []string {
	names := []string{"serve"}
	for _, c := range newTestRoot().Commands() {
		if c.Name() == "worker" {
			names = append(names, "worker")
		}
	}
	return names
}

// checkContainer holds one container to the command tree, the settings and
// the routes.
func checkContainer(t *testing.T, c container, image dockerImage) {
	t.Helper()
	cmd, err := findCommand(c.args)
	if err != nil {
		t.Errorf("%s: runs %q: %v", c.where, c.args, err)
		return
	}
	for name := range c.env {
		if !settingVar(name) {
			t.Errorf("%s: sets %s, which is no setting of internal/config", c.where, name)
		}
	}
	for name, key := range c.secrets {
		if key != name {
			t.Errorf("%s: %s comes from the Secret's key %s: name keys after their variable", c.where, name, key)
		}
	}
	cfg, err := loadContainerConfig(c, cmd, image)
	if err != nil {
		t.Errorf("%s: its configuration does not load: %v", c.where, err)
		return
	}
	if c.init && cmd.CommandPath() != buildinfo.Name+" migrate up" {
		t.Errorf("%s: an init container runs %q; only `migrate up` belongs before the service", c.where, c.args)
	}
	if !c.init {
		checkGrace(t, c, cmd, cfg)
	}
	checkWritable(t, c, cmd, cfg, image)
	if cmd.Name() == "serve" {
		checkPorts(t, c, cfg)
	}
}

// findCommand walks the command tree along args: the command must exist and
// run something (not just group others), and its flags must parse.
func findCommand(args []string) (*cobra.Command, error) {
	root := newTestRoot()
	cmd, rest, err := root.Find(args)
	switch {
	case err != nil:
		return nil, err
	case cmd == root || cmd.HasSubCommands():
		return nil, fmt.Errorf("%q is no command of %s", strings.Join(args, " "), buildinfo.Name)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return nil, err
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		return nil, err
	}
	return cmd, nil
}

func newTestRoot() *cobra.Command {
	return newRootCmd(&env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""),
		stdout: io.Discard, stderr: io.Discard})
}

// settingVar reports whether name is read by the service: a setting's
// variable, APP_ENV or CONFIG_DIR.
func settingVar(name string) bool {
	if name == "APP_ENV" || name == "CONFIG_DIR" || slices.Contains(config.TracingVariables(), name) {
		return true
	}
	return slices.ContainsFunc(config.Keys(), func(k string) bool { return config.EnvName(k) == name })
}

// loadContainerConfig loads the configuration the container would get: the
// image's variables, then its own, config/ of the project, and the flags of
// its command line that set a setting.
func loadContainerConfig(c container, cmd *cobra.Command, image dockerImage) (*config.Config, error) {
	vars := map[string]string{"CONFIG_DIR": filepath.Join(root, "config")}
	for k, v := range image.env {
		vars[k] = v
	}
	for k, v := range c.env {
		vars[k] = v
	}
	flags := map[string]any{}
	if f := cmd.Flags().Lookup("port"); f != nil && f.Changed {
		n, err := strconv.Atoi(f.Value.String())
		if err != nil {
			return nil, err
		}
		flags["port"] = n
	}
	if f := cmd.Flags().Lookup("no-worker"); f != nil && f.Changed {
		flags["tasks.worker"] = false
	}
	return config.Load(func(k string) string { return vars[k] }, flags)
}

// checkGrace: the container gets longer to stop than the service needs.
func checkGrace(t *testing.T, c container, cmd *cobra.Command, cfg *config.Config) {
	t.Helper()
	if cmd.Name() == "serve" && c.grace <= cfg.ShutdownTimeout {
		t.Errorf("%s: %v to stop, not above SHUTDOWN_TIMEOUT %v: requests in flight are cut", c.where, c.grace, cfg.ShutdownTimeout)
	}
	if runsTasks(cmd, cfg) && c.grace <= cfg.Tasks.ShutdownGrace {
		t.Errorf("%s: %v to stop, not above TASKS_SHUTDOWN_GRACE %v: running tasks are killed instead of released",
			c.where, c.grace, cfg.Tasks.ShutdownGrace)
	}
}

// checkWritable: the root filesystem is read-only, so each place the binary
// writes to must be a volume: the temporary directory, and the directory of
// file_cleanup where tasks run.
func checkWritable(t *testing.T, c container, cmd *cobra.Command, cfg *config.Config, image dockerImage) {
	t.Helper()
	if c.mounts == nil { // compose: the container's filesystem is writable
		return
	}
	// os.TempDir in the container: TMPDIR is not set there.
	need := []string{"/tmp"}
	if runsTasks(cmd, cfg) && cfg.Tasks.FileCleanupRoot != "" {
		need = append(need, path.Join(image.workdir, cfg.Tasks.FileCleanupRoot))
	}
	for _, dir := range need {
		if !slices.ContainsFunc(c.mounts, func(m string) bool { return dir == m || strings.HasPrefix(dir, m+"/") }) {
			t.Errorf("%s: writes to %s, which no writable volume covers (mounts %v)", c.where, dir, c.mounts)
		}
	}
}

// runsTasks reports whether the command runs the task worker.
func runsTasks(cmd *cobra.Command, cfg *config.Config) bool {
	return cmd.Name() == "worker" || cmd.Name() == "serve" && cfg.Tasks.Worker
}

// checkPorts: serve listens on the port the container exposes, and the
// probes are routes of the engine on that port.
func checkPorts(t *testing.T, c container, cfg *config.Config) {
	t.Helper()
	if !slices.Contains(slices.Collect(maps.Values(c.ports)), cfg.Port) {
		t.Errorf("%s: exposes %v, but serve listens on %d (PORT)", c.where, c.ports, cfg.Port)
	}
	if c.probes == nil { // compose has no probes
		return
	}
	routes := engineRoutes(t, cfg)
	for field, want := range probePaths {
		p, ok := c.probes[field]
		switch {
		case !ok:
			t.Errorf("%s: no %s", c.where, field)
			continue
		case p.path != want:
			t.Errorf("%s: %s calls %s, want %s", c.where, field, p.path, want)
		}
		if !slices.Contains(routes, "GET "+p.path) {
			t.Errorf("%s: %s calls %s, which is no GET route of the engine", c.where, field, p.path)
		}
		if port, ok := portNumber(p.port, c.ports); !ok || port != cfg.Port {
			t.Errorf("%s: %s calls port %v, but serve listens on %d", c.where, field, p.port, cfg.Port)
		}
	}
}

// engineRoutes lists "METHOD path" of every route of the real engine.
func engineRoutes(t *testing.T, cfg *config.Config) []string {
	t.Helper()
	srv, err := httpapi.New(httpapi.Deps{Config: cfg, Metrics: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	engine, ok := srv.Handler().(*gin.Engine)
	if !ok {
		t.Fatalf("httpapi's handler is a %T, not the gin engine: ask it for its routes another way", srv.Handler())
	}
	var routes []string
	for _, r := range engine.Routes() {
		routes = append(routes, r.Method+" "+r.Path)
	}
	return routes
}

// portNumber resolves a probe's or a Service's port: a number, or the name
// of one of ports.
func portNumber(p any, ports map[string]int) (int, bool) {
	switch p := p.(type) {
	case int:
		return p, true
	case string:
		n, ok := ports[p]
		return n, ok && p != ""
	}
	return 0, false
}

// dockerImage is what the final stage of the Dockerfile gives every container.
type dockerImage struct {
	env     map[string]string
	workdir string
}

// readDockerfile reads the ENV and WORKDIR of the Dockerfile's last stage,
// and checks it builds with the Go of go.mod.
func readDockerfile(t *testing.T) dockerImage {
	t.Helper()
	lines := instructions(t, readFile(t, "Dockerfile"))
	img := dockerImage{env: map[string]string{}, workdir: "/"}
	goVersion := goModVersion(t)
	builds := false
	for _, line := range lines {
		op, rest, _ := strings.Cut(line, " ")
		switch strings.ToUpper(op) {
		case "FROM":
			if strings.HasPrefix(rest, "golang:") {
				image, _, _ := strings.Cut(strings.TrimPrefix(rest, "golang:"), " ")
				builds = true
				if image != goVersion && !strings.HasPrefix(image, goVersion+"-") {
					t.Errorf("Dockerfile: FROM golang:%s, but go.mod says go %s", image, goVersion)
				}
			}
			img = dockerImage{env: map[string]string{}, workdir: "/"}
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				img.env[k] = v
			}
		case "WORKDIR":
			img.workdir = path.Join(img.workdir, rest)
		}
	}
	if !builds {
		t.Error("Dockerfile: no golang build stage")
	}
	return img
}

// instructions joins the Dockerfile's continued lines and drops comments.
func instructions(t *testing.T, data []byte) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		out = append(out, strings.Join(strings.Fields(cur.String()), " "))
		cur.Reset()
	}
	return out
}

func goModVersion(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(readFile(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod: no go line")
	}
	return string(m[1])
}

// The CI workflow sets up the Go of go.mod.
func TestCIUsesTheGoOfGoMod(t *testing.T) {
	t.Parallel()
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Uses string
				With map[string]string
			}
		}
	}
	decodeYAML(t, ".github/workflows/ci.yml", readFile(t, ".github/workflows/ci.yml"), &wf)
	want := goModVersion(t)
	setups := 0
	for name, job := range wf.Jobs {
		for _, s := range job.Steps {
			if !strings.HasPrefix(s.Uses, "actions/setup-go@") {
				continue
			}
			setups++
			if s.With["go-version-file"] != "go.mod" && s.With["go-version"] != want {
				t.Errorf("ci.yml: job %s sets up Go %q (file %q), not go.mod's %s", name, s.With["go-version"],
					s.With["go-version-file"], want)
			}
		}
	}
	if setups == 0 {
		t.Error("ci.yml: no actions/setup-go step")
	}
}

// The variables .env.example shows are settings (or the tests' database).
func TestDotEnvExampleNamesSettings(t *testing.T) {
	t.Parallel()
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, ".env.example")))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "#"))
		name, _, ok := strings.Cut(line, "=")
		if !ok || !regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`).MatchString(name) {
			continue
		}
		if !settingVar(name) && name != "TEST_DATABASE_URL" {
			t.Errorf(".env.example:%d: %s is no setting of internal/config", n, name)
		}
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func decodeYAML(t *testing.T, name string, data []byte, v any) {
	t.Helper()
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// --- Kubernetes -------------------------------------------------------------

// kit is every document under deploy/k8s.
type kit struct {
	objects        []k8sObject
	kustomizations map[string]kustomization // by directory
}

type k8sObject struct {
	file string
	node *yaml.Node
	head struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name   string            `yaml:"name"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
	}
}

func (o k8sObject) String() string {
	return fmt.Sprintf("%s: %s %s", o.file, o.head.Kind, o.head.Metadata.Name)
}

func (o k8sObject) decode(t *testing.T, v any) {
	t.Helper()
	if err := o.node.Decode(v); err != nil {
		t.Fatalf("%s: %v", o, err)
	}
}

type kustomization struct {
	Resources  []string `yaml:"resources"`
	Components []string `yaml:"components"`
	Images     []struct {
		Name string `yaml:"name"`
	} `yaml:"images"`
	SecretGenerator []struct {
		Name     string   `yaml:"name"`
		Envs     []string `yaml:"envs"`
		Files    []string `yaml:"files"`
		Literals []string `yaml:"literals"`
	} `yaml:"secretGenerator"`
	Patches []struct {
		Path   string `yaml:"path"`
		Patch  string `yaml:"patch"`
		Target struct {
			Kind string `yaml:"kind"`
			Name string `yaml:"name"`
		} `yaml:"target"`
	} `yaml:"patches"`
}

// readKit parses every YAML file under deploy/k8s: kustomization.yaml as a
// kustomization, the others as Kubernetes objects, one per document.
func readKit(t *testing.T) kit {
	t.Helper()
	k := kit{kustomizations: map[string]kustomization{}}
	dir := filepath.Join(root, "deploy", "k8s")
	err := filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(name) != ".yaml" {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(name, root+string(filepath.Separator)))
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		if d.Name() == "kustomization.yaml" {
			var kz kustomization
			decodeYAML(t, rel, data, &kz)
			k.kustomizations[path.Dir(rel)] = kz
			return nil
		}
		k.objects = append(k.objects, parseObjects(t, rel, data)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(k.kustomizations) == 0 {
		t.Fatal("deploy/k8s: no kustomization.yaml")
	}
	return k
}

func parseObjects(t *testing.T, file string, data []byte) []k8sObject {
	t.Helper()
	var out []k8sObject
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		o := k8sObject{file: file, node: new(yaml.Node)}
		err := dec.Decode(o.node)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		o.decode(t, &o.head)
		if o.head.APIVersion == "" || o.head.Kind == "" || o.head.Metadata.Name == "" {
			t.Errorf("%s: a document without apiVersion, kind or metadata.name", file)
		}
		out = append(out, o)
	}
}

// dns1123 is the rule of Kubernetes object names (and container names).
var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// deployment is what the checks read of a Deployment.
type deployment struct {
	obj  k8sObject
	Spec struct {
		Replicas *int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				TerminationGracePeriodSeconds *int `yaml:"terminationGracePeriodSeconds"`
				SecurityContext               struct {
					RunAsNonRoot *bool `yaml:"runAsNonRoot"`
					RunAsUser    *int  `yaml:"runAsUser"`
				} `yaml:"securityContext"`
				InitContainers []k8sContainer `yaml:"initContainers"`
				Containers     []k8sContainer `yaml:"containers"`
				Volumes        []struct {
					Name     string `yaml:"name"`
					EmptyDir any    `yaml:"emptyDir"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sContainer struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name      string  `yaml:"name"`
		Value     *string `yaml:"value"`
		ValueFrom struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	StartupProbe   *k8sProbe `yaml:"startupProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

func (k kit) deployments(t *testing.T) []deployment {
	t.Helper()
	var out []deployment
	for _, o := range k.objects {
		if o.head.Kind == "Deployment" {
			d := deployment{obj: o}
			o.decode(t, &d)
			out = append(out, d)
		}
	}
	return out
}

// containers are the Deployment's containers of the service's image, with
// the pod-level settings the checks need; the rest of the pod is checked here.
func (d deployment) containers(t *testing.T) []container {
	t.Helper()
	pod := d.Spec.Template.Spec
	sc := pod.SecurityContext
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("%s: the pod must run as a non-root user given by number (runAsNonRoot, runAsUser)", d.obj)
	}
	grace := 30 * time.Second // Kubernetes' default
	if pod.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
	}
	volumes := map[string]bool{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = true
	}
	var out []container
	for i, kc := range slices.Concat(pod.InitContainers, pod.Containers) {
		where := fmt.Sprintf("%s: container %s", d.obj, kc.Name)
		if !strings.HasPrefix(kc.Image, buildinfo.Name+":") && kc.Image != buildinfo.Name {
			continue
		}
		checkContainerSecurity(t, where, kc)
		c := container{where: where, args: kc.Args, env: map[string]string{}, secrets: map[string]string{},
			ports: map[string]int{}, probes: map[string]probe{}, grace: grace, mounts: []string{},
			init: i < len(pod.InitContainers)}
		if len(kc.Command) > 0 {
			t.Errorf("%s: sets command; the image's entrypoint is the binary, give args only", where)
		}
		fillK8sContainer(t, &c, kc, volumes)
		out = append(out, c)
	}
	return out
}

func checkContainerSecurity(t *testing.T, where string, kc k8sContainer) {
	t.Helper()
	s := kc.SecurityContext
	if s.ReadOnlyRootFilesystem == nil || !*s.ReadOnlyRootFilesystem {
		t.Errorf("%s: the root filesystem must be read-only", where)
	}
	if s.AllowPrivilegeEscalation == nil || *s.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation must be false", where)
	}
	if kc.Resources.Requests["cpu"] == "" || kc.Resources.Requests["memory"] == "" || kc.Resources.Limits["memory"] == "" {
		t.Errorf("%s: needs cpu and memory requests and a memory limit", where)
	}
}

func fillK8sContainer(t *testing.T, c *container, kc k8sContainer, volumes map[string]bool) {
	t.Helper()
	for _, e := range kc.Env {
		switch ref := e.ValueFrom.SecretKeyRef; {
		case e.Value != nil:
			c.env[e.Name] = *e.Value
		case ref != nil:
			c.secrets[e.Name] = ref.Key
			c.env[e.Name] = secretSamples[e.Name]
		default: // another source: the name is still checked
			c.env[e.Name] = ""
		}
	}
	for _, p := range kc.Ports {
		c.ports[p.Name] = p.ContainerPort
	}
	for field, p := range map[string]*k8sProbe{"livenessProbe": kc.LivenessProbe,
		"readinessProbe": kc.ReadinessProbe, "startupProbe": kc.StartupProbe} {
		if p != nil && p.HTTPGet != nil {
			c.probes[field] = probe{p.HTTPGet.Path, p.HTTPGet.Port}
		}
	}
	for _, m := range kc.VolumeMounts {
		if !volumes[m.Name] {
			t.Errorf("%s: mounts volume %s, which the pod does not have", c.where, m.Name)
		}
		if !m.ReadOnly {
			c.mounts = append(c.mounts, path.Clean(m.MountPath))
		}
	}
}

// checkKubernetes checks what ties the objects and the kustomizations together.
func checkKubernetes(t *testing.T, k kit) {
	byKind := map[string][]k8sObject{}
	for _, o := range k.objects {
		byKind[o.head.Kind] = append(byKind[o.head.Kind], o)
		if !dns1123.MatchString(o.head.Metadata.Name) {
			t.Errorf("%s: %q is not a valid object name (lower-case letters, digits and -)", o, o.head.Metadata.Name)
		}
		if o.head.Kind == "Secret" {
			t.Errorf("%s: a Secret in git; generate it from a git-ignored file or create it in the cluster", o)
		}
	}
	deps := k.deployments(t)
	for _, d := range deps {
		checkDeployment(t, d)
	}
	checkSelectors(t, byKind, deps)
	for _, o := range byKind["HorizontalPodAutoscaler"] {
		var hpa struct {
			Spec struct {
				ScaleTargetRef struct{ Kind, Name string } `yaml:"scaleTargetRef"`
				MinReplicas    int                         `yaml:"minReplicas"`
				MaxReplicas    int                         `yaml:"maxReplicas"`
			} `yaml:"spec"`
		}
		o.decode(t, &hpa)
		ref := hpa.Spec.ScaleTargetRef
		if !slices.ContainsFunc(deps, func(d deployment) bool { return ref.Kind == "Deployment" && ref.Name == d.obj.head.Metadata.Name }) {
			t.Errorf("%s: scales %s %s, which is not in the kit", o, ref.Kind, ref.Name)
		}
		if hpa.Spec.MinReplicas < 1 || hpa.Spec.MinReplicas > hpa.Spec.MaxReplicas {
			t.Errorf("%s: replicas %d–%d", o, hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
		}
	}
	for dir := range k.kustomizations {
		checkKustomization(t, k, dir)
	}
}

// checkDeployment: the selector picks the pods, and the pods of the service
// migrate first.
func checkDeployment(t *testing.T, d deployment) {
	t.Helper()
	if len(d.Spec.Selector.MatchLabels) == 0 || !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) {
		t.Errorf("%s: the selector %v does not match the pod labels %v", d.obj, d.Spec.Selector.MatchLabels,
			d.Spec.Template.Metadata.Labels)
	}
	inits := d.Spec.Template.Spec.InitContainers
	if d.runsService() && !slices.ContainsFunc(inits, func(c k8sContainer) bool { return slices.Equal(c.Args, []string{"migrate", "up"}) }) {
		t.Errorf("%s: no init container runs `migrate up`: a new version would start on the old schema", d.obj)
	}
	for _, c := range slices.Concat(inits, d.Spec.Template.Spec.Containers) {
		if !dns1123.MatchString(c.Name) {
			t.Errorf("%s: container name %q is not valid", d.obj, c.Name)
		}
	}
}

// runsService reports whether a container of the pod runs the service's
// image (the PgBouncer of components/pgbouncer does not).
func (d deployment) runsService() bool {
	return slices.ContainsFunc(d.Spec.Template.Spec.Containers, func(c k8sContainer) bool {
		return c.Image == buildinfo.Name || strings.HasPrefix(c.Image, buildinfo.Name+":")
	})
}

// checkSelectors: Services and PodDisruptionBudgets select pods of a
// Deployment of the kit, on ports those pods expose.
func checkSelectors(t *testing.T, byKind map[string][]k8sObject, deps []deployment) {
	t.Helper()
	podsOf := func(sel map[string]string) *deployment {
		for i, d := range deps {
			if len(sel) > 0 && selects(sel, d.Spec.Template.Metadata.Labels) {
				return &deps[i]
			}
		}
		return nil
	}
	for _, o := range byKind["Service"] {
		var svc struct {
			Spec struct {
				Selector map[string]string `yaml:"selector"`
				Ports    []struct {
					TargetPort any `yaml:"targetPort"`
				} `yaml:"ports"`
			} `yaml:"spec"`
		}
		o.decode(t, &svc)
		d := podsOf(svc.Spec.Selector)
		if d == nil {
			t.Errorf("%s: the selector %v matches no pods of the kit", o, svc.Spec.Selector)
			continue
		}
		ports := map[string]int{}
		for _, c := range d.Spec.Template.Spec.Containers {
			for _, p := range c.Ports {
				ports[p.Name] = p.ContainerPort
			}
		}
		for _, p := range svc.Spec.Ports {
			n, ok := portNumber(p.TargetPort, ports)
			if !ok || !slices.Contains(slices.Collect(maps.Values(ports)), n) {
				t.Errorf("%s: targetPort %v is no port of %s", o, p.TargetPort, d.obj)
			}
		}
	}
	for _, o := range byKind["PodDisruptionBudget"] {
		var pdb struct {
			Spec struct {
				Selector struct {
					MatchLabels map[string]string `yaml:"matchLabels"`
				} `yaml:"selector"`
			} `yaml:"spec"`
		}
		o.decode(t, &pdb)
		if podsOf(pdb.Spec.Selector.MatchLabels) == nil {
			t.Errorf("%s: the selector %v matches no pods of the kit", o, pdb.Spec.Selector.MatchLabels)
		}
	}
}

func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// checkKustomization: every file it names exists and every YAML file beside
// it is named; patches aim at objects of the kit and set settings only;
// images are the service's; Secrets come from git-ignored files listing
// exactly the keys the containers read.
func checkKustomization(t *testing.T, k kit, dir string) {
	t.Helper()
	kz := k.kustomizations[dir]
	for _, r := range kz.Resources {
		p := path.Join(dir, r)
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err != nil {
			t.Errorf("%s/kustomization.yaml: resource %s: %v", dir, r, err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(dir)))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".yaml" && e.Name() != "kustomization.yaml" && !slices.Contains(kz.Resources, e.Name()) {
			t.Errorf("%s/%s: not listed in the resources of its kustomization.yaml", dir, e.Name())
		}
	}
	for _, img := range kz.Images {
		if img.Name != buildinfo.Name {
			t.Errorf("%s/kustomization.yaml: image %s is not the service's (%s)", dir, img.Name, buildinfo.Name)
		}
	}
	for _, p := range kz.Patches {
		checkPatch(t, k, dir, p.Target.Kind, p.Target.Name, p.Patch)
	}
	for _, g := range kz.SecretGenerator {
		if len(g.Literals) > 0 || len(g.Files) > 0 {
			t.Errorf("%s/kustomization.yaml: Secret %s has values in git; read them from a git-ignored env file", dir, g.Name)
		}
		for _, env := range g.Envs {
			checkSecretFile(t, k, included(dir, kz), path.Join(dir, env), g.Name)
		}
	}
}

// checkPatch: a JSON 6902 patch aims at an object of the kit, and the
// variables it adds are settings.
func checkPatch(t *testing.T, k kit, dir, kind, name, patch string) {
	t.Helper()
	where := fmt.Sprintf("%s/kustomization.yaml: patch of %s %s", dir, kind, name)
	if !slices.ContainsFunc(k.objects, func(o k8sObject) bool { return o.head.Kind == kind && o.head.Metadata.Name == name }) {
		t.Errorf("%s: no such object in the kit", where)
	}
	var ops []struct {
		Op    string `yaml:"op"`
		Path  string `yaml:"path"`
		Value any    `yaml:"value"`
	}
	decodeYAML(t, where, []byte(patch), &ops)
	for _, op := range ops {
		if v, ok := op.Value.(map[string]any); ok && strings.Contains(op.Path, "/env") {
			if name, _ := v["name"].(string); !settingVar(name) {
				t.Errorf("%s: sets %s, which is no setting of internal/config", where, name)
			}
		}
	}
}

// included are the directories whose objects a kustomization builds on: its
// resources and its components.
func included(dir string, kz kustomization) map[string]bool {
	dirs := map[string]bool{}
	for _, r := range slices.Concat(kz.Resources, kz.Components) {
		dirs[path.Clean(path.Join(dir, r))] = true
	}
	return dirs
}

// checkSecretFile: the env file of a generated Secret is git-ignored, and
// its committed example lists exactly the keys the containers of its
// kustomization (not of a component it does not use) read from it.
func checkSecretFile(t *testing.T, k kit, dirs map[string]bool, file, secret string) {
	t.Helper()
	if !gitIgnored(t, file) {
		t.Errorf("%s: the values of Secret %s are not git-ignored", file, secret)
	}
	example := readFile(t, file+".example")
	var keys []string
	sc := bufio.NewScanner(bytes.NewReader(example))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if name, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			keys = append(keys, name)
		}
	}
	slices.Sort(keys)
	var read []string
	for _, d := range k.deployments(t) {
		if !dirs[path.Dir(d.obj.file)] {
			continue
		}
		for _, c := range slices.Concat(d.Spec.Template.Spec.InitContainers, d.Spec.Template.Spec.Containers) {
			for _, e := range c.Env {
				if ref := e.ValueFrom.SecretKeyRef; ref != nil && ref.Name == secret && !slices.Contains(read, ref.Key) {
					read = append(read, ref.Key)
				}
			}
		}
	}
	slices.Sort(read)
	if !slices.Equal(keys, read) {
		t.Errorf("%s.example lists %v; the containers read %v from Secret %s", file, keys, read, secret)
	}
}

// gitIgnored reports whether a line of .gitignore names the file by its base
// name or its path from the root.
func gitIgnored(t *testing.T, file string) bool {
	t.Helper()
	for line := range strings.Lines(string(readFile(t, ".gitignore"))) {
		line = strings.TrimSpace(line)
		if line == path.Base(file) || line == "/"+file || line == file {
			return true
		}
	}
	return false
}

// --- compose ----------------------------------------------------------------

type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
	rest     map[string]any
}

type composeService struct {
	Image           string            `yaml:"image"`
	Build           any               `yaml:"build"`
	Command         []string          `yaml:"command"`
	Entrypoint      any               `yaml:"entrypoint"`
	Environment     map[string]string `yaml:"environment"`
	Ports           []string          `yaml:"ports"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
	Volumes         []string          `yaml:"volumes"`
	Healthcheck     *struct {
		Test any `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	data := readFile(t, "compose.yaml")
	var c composeFile
	decodeYAML(t, "compose.yaml", data, &c)
	decodeYAML(t, "compose.yaml", data, &c.rest)
	return c
}

// composeVar is a variable taken from the environment of `docker compose`.
var composeVar = regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)(:?-([^}]*))?\}`)

// composeContainers are the services of the service's image.
func composeContainers(t *testing.T, c composeFile) []container {
	t.Helper()
	var out []container
	for _, name := range slices.Sorted(maps.Keys(c.Services)) {
		s := c.Services[name]
		if !strings.HasPrefix(s.Image, buildinfo.Name+":") && s.Image != buildinfo.Name {
			continue
		}
		where := "compose.yaml: service " + name
		if s.Entrypoint != nil {
			t.Errorf("%s: sets entrypoint; the image's is the binary, give command only", where)
		}
		grace := 10 * time.Second // compose's default
		if s.StopGracePeriod != "" {
			d, err := time.ParseDuration(s.StopGracePeriod)
			if err != nil {
				t.Errorf("%s: stop_grace_period: %v", where, err)
			}
			grace = d
		}
		ct := container{where: where, args: s.Command, env: map[string]string{}, ports: map[string]int{}, grace: grace,
			init: slices.Equal(s.Command, []string{"migrate", "up"})}
		for k, v := range s.Environment {
			// ${VAR:-default} is its default here: the environment of the check is empty.
			ct.env[k] = composeVar.ReplaceAllString(v, "$3")
		}
		for _, p := range s.Ports {
			parts := strings.Split(p, ":")
			n, err := strconv.Atoi(parts[len(parts)-1])
			if err != nil {
				t.Errorf("%s: port %q: want [host:]published:container", where, p)
			}
			ct.ports[""] = n
		}
		out = append(out, ct)
	}
	return out
}

// checkCompose: compose.yaml is a valid compose file in what it uses, its
// database is healthy before the migration runs, and the service starts
// after the migration, on that database.
func checkCompose(t *testing.T, c composeFile) {
	t.Helper()
	for key := range c.rest {
		if !slices.Contains([]string{"name", "services", "volumes", "networks", "configs", "secrets"}, key) && !strings.HasPrefix(key, "x-") {
			t.Errorf("compose.yaml: unknown top-level key %q", key)
		}
	}
	if !regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`).MatchString(c.Name) {
		t.Errorf("compose.yaml: project name %q: lower-case letters, digits, - and _", c.Name)
	}
	db, migrate := "", ""
	for name, s := range c.Services {
		if s.Image == "" && s.Build == nil {
			t.Errorf("compose.yaml: service %s has neither image nor build", name)
		}
		for _, v := range s.Volumes {
			src, _, ok := strings.Cut(v, ":")
			if _, declared := c.Volumes[src]; ok && !strings.ContainsAny(src[:1], "./~") && !declared {
				t.Errorf("compose.yaml: service %s mounts volume %s, which is not declared", name, src)
			}
		}
		for dep, cond := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("compose.yaml: service %s depends on %s, which does not exist", name, dep)
			}
			if !slices.Contains([]string{"service_started", "service_healthy", "service_completed_successfully"}, cond.Condition) {
				t.Errorf("compose.yaml: service %s: condition %q", name, cond.Condition)
			}
		}
		switch {
		case strings.HasPrefix(s.Image, "postgres:"):
			db = name
		case slices.Equal(s.Command, []string{"migrate", "up"}):
			migrate = name
		}
	}
	if db == "" || migrate == "" {
		t.Fatalf("compose.yaml: want a postgres service and one running `migrate up` (got %q, %q)", db, migrate)
	}
	checkComposeOrder(t, c, db, migrate)
	checkComposeDatabase(t, c, db)
}

// checkComposeOrder: PostgreSQL is healthy before the migration, and the
// service's long-running containers wait for the migration to succeed.
func checkComposeOrder(t *testing.T, c composeFile, db, migrate string) {
	t.Helper()
	if h := c.Services[db].Healthcheck; h == nil || h.Test == nil {
		t.Errorf("compose.yaml: service %s has no health check", db)
	}
	if c.Services[migrate].DependsOn[db].Condition != "service_healthy" {
		t.Errorf("compose.yaml: service %s does not wait for %s to be healthy", migrate, db)
	}
	for name, s := range c.Services {
		if name == migrate || !strings.HasPrefix(s.Image, buildinfo.Name) {
			continue
		}
		if s.DependsOn[migrate].Condition != "service_completed_successfully" {
			t.Errorf("compose.yaml: service %s does not wait for %s to complete", name, migrate)
		}
	}
}

// checkComposeDatabase: DATABASE_URL of every service names the compose
// database with its user, password and database, directly or through the
// PgBouncer of the pgbouncer profile, which names it in turn; a service
// behind the pooler says so (DATABASE_POOLER) and has the direct URL too.
func checkComposeDatabase(t *testing.T, c composeFile, db string) {
	t.Helper()
	pg := c.Services[db].Environment
	names := func(name, key, host string) bool {
		raw := c.Services[name].Environment[key]
		u, err := url.Parse(raw)
		if err != nil {
			t.Errorf("compose.yaml: service %s: %s: %v", name, key, err)
			return false
		}
		pass, _ := u.User.Password()
		return u.Hostname() == host && u.User.Username() == pg["POSTGRES_USER"] && pass == pg["POSTGRES_PASSWORD"] &&
			strings.TrimPrefix(u.Path, "/") == pg["POSTGRES_DB"]
	}
	for name, s := range c.Services {
		raw, ok := s.Environment["DATABASE_URL"]
		switch {
		case !ok:
		case strings.HasPrefix(s.Image, "edoburu/pgbouncer:"):
			if !names(name, "DATABASE_URL", db) {
				t.Errorf("compose.yaml: the pooler %s: DATABASE_URL %s is not the database of service %s", name, raw, db)
			}
		case names(name, "DATABASE_URL", db):
		case isPooler(c, urlHost(raw)):
			if s.Environment["DATABASE_POOLER"] != config.PoolerTransaction || !names(name, "DATABASE_DIRECT_URL", db) {
				t.Errorf("compose.yaml: service %s reaches the database through %s without DATABASE_POOLER=transaction "+
					"and DATABASE_DIRECT_URL naming service %s", name, urlHost(raw), db)
			}
		default:
			t.Errorf("compose.yaml: service %s: DATABASE_URL %s is not the database of service %s", name, raw, db)
		}
	}
}

// isPooler reports whether the compose service name is a PgBouncer in
// transaction mode.
func isPooler(c composeFile, name string) bool {
	s, ok := c.Services[name]
	return ok && strings.HasPrefix(s.Image, "edoburu/pgbouncer:") && s.Environment["POOL_MODE"] == "transaction"
}

func urlHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
