package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"example.com/demo/internal/config"
)

// pgbouncerDir is the deploy kit's PgBouncer option, a kustomize component.
const pgbouncerDir = "deploy/k8s/components/pgbouncer"

// The PgBouncer option is held to the code like the rest of the kit: it puts
// every container of the service behind a pooler in transaction mode with
// the settings the integration suite runs behind (`make test-pgbouncer`):
// DATABASE_POOLER=transaction, and DATABASE_DIRECT_URL from the Secret for
// migrations and LISTEN. With what it adds, each container's configuration
// loads and says so; the PgBouncer itself pools transactions, checks
// passwords with scram-sha-256 and reaches PostgreSQL by the direct URL.
func TestPgBouncerComponentMatchesTheCode(t *testing.T) {
	t.Parallel()
	k := readKit(t)
	kz, ok := k.kustomizations[pgbouncerDir]
	if !ok {
		t.Fatalf("%s/kustomization.yaml: missing", pgbouncerDir)
	}
	if head := readFile(t, pgbouncerDir+"/kustomization.yaml"); !strings.Contains(string(head), "\nkind: Component\n") {
		t.Errorf("%s/kustomization.yaml: not a kustomize Component", pgbouncerDir)
	}
	added := map[string]map[string]envAdded{} // Deployment → "container path/VARIABLE" → what is added
	for _, p := range kz.Patches {
		if added[p.Target.Name] == nil {
			added[p.Target.Name] = map[string]envAdded{}
		}
		for path, vars := range patchedEnv(t, p.Patch) {
			for _, v := range vars {
				added[p.Target.Name][path+"/"+v.Name] = v
			}
		}
	}
	image := readDockerfile(t)
	for _, d := range k.deployments(t) {
		if !d.runsService() {
			checkPooler(t, d)
			continue
		}
		name := d.obj.head.Metadata.Name
		pod := d.Spec.Template.Spec
		for i, kc := range append(append([]k8sContainer{}, pod.InitContainers...), pod.Containers...) {
			path := fmt.Sprintf("containers/%d", i-len(pod.InitContainers))
			if i < len(pod.InitContainers) {
				path = fmt.Sprintf("initContainers/%d", i)
			}
			where := fmt.Sprintf("%s: %s container %s", pgbouncerDir, name, kc.Name)
			pooler, direct := added[name][path+"/DATABASE_POOLER"], added[name][path+"/DATABASE_DIRECT_URL"]
			if pooler.Value != config.PoolerTransaction || direct.SecretKey != "DATABASE_DIRECT_URL" {
				t.Errorf("%s: want DATABASE_POOLER=transaction and DATABASE_DIRECT_URL from the Secret's key of that name, got %+v %+v",
					where, pooler, direct)
				continue
			}
			c := container{where: where, args: kc.Args, env: map[string]string{
				"DATABASE_POOLER": pooler.Value, "DATABASE_DIRECT_URL": secretSamples["DATABASE_DIRECT_URL"]}}
			for _, e := range kc.Env {
				switch {
				case e.Value != nil:
					c.env[e.Name] = *e.Value
				case e.ValueFrom.SecretKeyRef != nil:
					c.env[e.Name] = secretSamples[e.Name]
				}
			}
			cmd, err := findCommand(c.args)
			if err != nil {
				t.Errorf("%s: %v", where, err)
				continue
			}
			cfg, err := loadContainerConfig(c, cmd, image)
			if err != nil {
				t.Errorf("%s: its configuration behind the pooler does not load: %v", where, err)
			} else if !cfg.Database.TransactionPooler() || cfg.Database.DirectURL == "" {
				t.Errorf("%s: loads as not behind a transaction pooler: %+v", where, cfg.Database)
			}
		}
	}
}

// envAdded is a variable a JSON 6902 patch adds to a container.
type envAdded struct {
	Name      string
	Value     string
	SecretKey string
}

// patchedEnv reads the variables a patch adds, by container path
// ("containers/0", "initContainers/0").
func patchedEnv(t *testing.T, patch string) map[string][]envAdded {
	t.Helper()
	var ops []struct {
		Path  string `yaml:"path"`
		Value struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom struct {
				SecretKeyRef struct {
					Key string `yaml:"key"`
				} `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"value"`
	}
	decodeYAML(t, pgbouncerDir, []byte(patch), &ops)
	out := map[string][]envAdded{}
	for _, op := range ops {
		path, ok := strings.CutPrefix(op.Path, "/spec/template/spec/")
		if !ok || !strings.HasSuffix(path, "/env/-") {
			continue
		}
		path = strings.TrimSuffix(path, "/env/-")
		out[path] = append(out[path], envAdded{op.Value.Name, op.Value.Value, op.Value.ValueFrom.SecretKeyRef.Key})
	}
	return out
}

// checkPooler: the PgBouncer pools transactions, with scram-sha-256, in
// front of the direct URL, and is of the component.
func checkPooler(t *testing.T, d deployment) {
	t.Helper()
	if filepath.ToSlash(filepath.Dir(d.obj.file)) != pgbouncerDir {
		t.Errorf("%s: a Deployment that runs no container of the service, outside %s", d.obj, pgbouncerDir)
		return
	}
	want := map[string]string{"POOL_MODE": "transaction", "AUTH_TYPE": "scram-sha-256", "DATABASE_URL": "secret:DATABASE_DIRECT_URL"}
	for _, c := range d.Spec.Template.Spec.Containers {
		got := map[string]string{}
		for _, e := range c.Env {
			switch {
			case e.Value != nil:
				got[e.Name] = *e.Value
			case e.ValueFrom.SecretKeyRef != nil:
				got[e.Name] = "secret:" + e.ValueFrom.SecretKeyRef.Key
			}
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: container %s: %s = %q, want %q", d.obj, c.Name, k, got[k], v)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(root, pgbouncerDir, "kustomization.yaml")); err != nil {
		t.Error(err)
	}
}
