package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The Kubernetes objects of k8s/, decoded into structs that declare the fields the
// manifests may use: a field they do not declare (a typo, a misplaced key) fails the
// decoding.

type objectMeta struct {
	Name        string            `yaml:"name"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type typeMeta struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type keyRef struct {
	Name string `yaml:"name"`
	Key  string `yaml:"key"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom *struct {
		SecretKeyRef    *keyRef `yaml:"secretKeyRef"`
		ConfigMapKeyRef *keyRef `yaml:"configMapKeyRef"`
	} `yaml:"valueFrom"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"` // a number or a port's name
	} `yaml:"httpGet"`
	InitialDelaySeconds int `yaml:"initialDelaySeconds"`
	PeriodSeconds       int `yaml:"periodSeconds"`
	TimeoutSeconds      int `yaml:"timeoutSeconds"`
	FailureThreshold    int `yaml:"failureThreshold"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	EnvFrom []struct {
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
	} `yaml:"envFrom"`
	Env            []envVar `yaml:"env"`
	ReadinessProbe *probe   `yaml:"readinessProbe"`
	LivenessProbe  *probe   `yaml:"livenessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
}

type podTemplate struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		TerminationGracePeriodSeconds *int   `yaml:"terminationGracePeriodSeconds"`
		RestartPolicy                 string `yaml:"restartPolicy"`
		SecurityContext               struct {
			RunAsNonRoot   bool              `yaml:"runAsNonRoot"`
			RunAsUser      int               `yaml:"runAsUser"`
			RunAsGroup     int               `yaml:"runAsGroup"`
			SeccompProfile map[string]string `yaml:"seccompProfile"`
		} `yaml:"securityContext"`
		Containers []container `yaml:"containers"`
	} `yaml:"spec"`
}

type deployment struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		Replicas int           `yaml:"replicas"`
		Selector labelSelector `yaml:"selector"`
		Strategy *struct {
			Type          string         `yaml:"type"`
			RollingUpdate map[string]int `yaml:"rollingUpdate"`
		} `yaml:"strategy"`
		Template podTemplate `yaml:"template"`
	} `yaml:"spec"`
}

type job struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		BackoffLimit            int         `yaml:"backoffLimit"`
		TTLSecondsAfterFinished int         `yaml:"ttlSecondsAfterFinished"`
		Template                podTemplate `yaml:"template"`
	} `yaml:"spec"`
}

type service struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type hpa struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		ScaleTargetRef struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Name       string `yaml:"name"`
		} `yaml:"scaleTargetRef"`
		MinReplicas int `yaml:"minReplicas"`
		MaxReplicas int `yaml:"maxReplicas"`
		Metrics     []struct {
			Type     string `yaml:"type"`
			Resource struct {
				Name   string `yaml:"name"`
				Target struct {
					Type               string `yaml:"type"`
					AverageUtilization int    `yaml:"averageUtilization"`
				} `yaml:"target"`
			} `yaml:"resource"`
		} `yaml:"metrics"`
	} `yaml:"spec"`
}

type pdb struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		MinAvailable   *int          `yaml:"minAvailable"`
		MaxUnavailable *int          `yaml:"maxUnavailable"`
		Selector       labelSelector `yaml:"selector"`
	} `yaml:"spec"`
}

type configMap struct {
	typeMeta `yaml:",inline"`
	Data     map[string]string `yaml:"data"`
}

type secret struct {
	typeMeta   `yaml:",inline"`
	Type       string            `yaml:"type"`
	StringData map[string]string `yaml:"stringData"`
}

type kustomization struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Resources  []string `yaml:"resources"`
	Images     []struct {
		Name    string `yaml:"name"`
		NewName string `yaml:"newName"`
		NewTag  string `yaml:"newTag"`
	} `yaml:"images"`
}

// manifests are the objects of k8s/, by kind and name.
type manifests struct {
	deployments map[string]deployment
	jobs        map[string]job
	services    map[string]service
	hpas        map[string]hpa
	pdbs        map[string]pdb
	configMaps  map[string]configMap
	secrets     map[string]secret
	files       []string // the files that hold them
}

// strict decodes one YAML document into v, refusing fields v does not declare.
func strict(doc *yaml.Node, v any) error {
	b, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// loadManifests reads every object of every k8s/*.yaml file but the kustomization.
func loadManifests(t *testing.T) manifests {
	t.Helper()
	m := manifests{deployments: map[string]deployment{}, jobs: map[string]job{}, services: map[string]service{},
		hpas: map[string]hpa{}, pdbs: map[string]pdb{}, configMaps: map[string]configMap{}, secrets: map[string]secret{}}
	paths, err := filepath.Glob("k8s/*.yaml")
	require.NoError(t, err)
	for _, path := range paths {
		if filepath.Base(path) == "kustomization.yaml" {
			continue
		}
		m.files = append(m.files, filepath.Base(path))
		f, err := os.Open(path)
		require.NoError(t, err)
		dec := yaml.NewDecoder(f)
		for {
			var doc yaml.Node
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, path)
			var tm typeMeta
			require.NoError(t, doc.Decode(&tm), path)
			require.NotEmpty(t, tm.Metadata.Name, "%s: every object has a name", path)
			into := func(v any) { require.NoError(t, strict(&doc, v), "%s: %s %s", path, tm.Kind, tm.Metadata.Name) }
			name := tm.Metadata.Name
			switch tm.APIVersion + " " + tm.Kind {
			case "apps/v1 Deployment":
				put(into, m.deployments, name)
			case "batch/v1 Job":
				put(into, m.jobs, name)
			case "v1 Service":
				put(into, m.services, name)
			case "autoscaling/v2 HorizontalPodAutoscaler":
				put(into, m.hpas, name)
			case "policy/v1 PodDisruptionBudget":
				put(into, m.pdbs, name)
			case "v1 ConfigMap":
				put(into, m.configMaps, name)
			case "v1 Secret":
				put(into, m.secrets, name)
			default:
				t.Fatalf("%s: %s %s is not a kind this test knows", path, tm.APIVersion, tm.Kind)
			}
		}
		require.NoError(t, f.Close())
	}
	return m
}

// containerEnv is the environment a container starts with: its ConfigMaps' keys
// (envFrom), then its own variables, the Secret's values standing for secretKeyRefs.
func (m manifests) containerEnv(t *testing.T, c container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		require.NotNil(t, from.ConfigMapRef, "%s: envFrom names a ConfigMap", c.Name)
		cm, ok := m.configMaps[from.ConfigMapRef.Name]
		require.True(t, ok, "%s: ConfigMap %s exists", c.Name, from.ConfigMapRef.Name)
		for k, v := range cm.Data {
			env[k] = v
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			s, ok := m.secrets[ref.Name]
			require.True(t, ok, "%s %s: Secret %s exists", c.Name, e.Name, ref.Name)
			v, ok := s.StringData[ref.Key]
			require.True(t, ok, "%s %s: Secret %s has %s", c.Name, e.Name, ref.Name, ref.Key)
			env[e.Name] = v
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			v, ok := m.configMaps[ref.Name].Data[ref.Key]
			require.True(t, ok, "%s %s: ConfigMap %s has %s", c.Name, e.Name, ref.Name, ref.Key)
			env[e.Name] = v
		default:
			t.Fatalf("%s %s: valueFrom names nothing", c.Name, e.Name)
		}
	}
	return env
}

// portOf resolves a probe's or a Service's port, a number or a name, to one of the
// container's ports.
func portOf(t *testing.T, c container, port string) int {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == port || strconv.Itoa(p.ContainerPort) == port {
			return p.ContainerPort
		}
	}
	t.Fatalf("%s has no port %q", c.Name, port)
	return 0
}

// addrPort is the port of a MATCHPOINT_HTTP_ADDR.
func addrPort(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	require.NoError(t, err, addr)
	n, err := strconv.Atoi(p)
	require.NoError(t, err, addr)
	return n
}

func matches(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// flushMargin is what a process may still take after its drain: the error reporter's
// flush (up to 2s, compose.Reporter) and closing its pools, rounded up.
const flushMargin = 5 * time.Second

// TestKubernetesManifests checks k8s/: the kustomization lists every file and sets
// both images; each Deployment runs the binary its image holds, with only variables that
// binary reads and values it accepts, probes on /readyz and /healthz at the port it
// listens on, and a grace period longer than its drain; every HPA and PDB and Service
// finds its Deployment; the migration Job runs `server migrate`.
func TestKubernetesManifests(t *testing.T) {
	server, worker := binaries(t)
	m := loadManifests(t)

	var k kustomization
	b, err := os.ReadFile("k8s/kustomization.yaml")
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&k))
	assert.ElementsMatch(t, m.files, k.Resources, "kustomization.yaml lists every manifest")
	var images []string
	for _, img := range k.Images {
		images = append(images, img.Name)
	}
	assert.ElementsMatch(t, []string{"matchpoint-server", "matchpoint-worker"}, images)

	binOf := map[string]*binary{"matchpoint-server": server, "matchpoint-worker": worker}
	require.Len(t, m.deployments, 2)
	for name, d := range m.deployments {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, d.Spec.Selector.MatchLabels, map[string]string{"app.kubernetes.io/name": name})
			assert.True(t, matches(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels), "the selector selects the pods")
			pod := d.Spec.Template.Spec
			assert.True(t, pod.SecurityContext.RunAsNonRoot)
			assert.Equal(t, nonRootUID, pod.SecurityContext.RunAsUser, "the image's user")
			require.Len(t, pod.Containers, 1)
			c := pod.Containers[0]
			bin, ok := binOf[c.Image]
			require.True(t, ok, "image %q is one the kustomization sets", c.Image)
			assert.Equal(t, c.Image, name, "the Deployment is named after its image")

			env := m.containerEnv(t, c)
			for v := range env {
				assert.True(t, bin.reads(v), "%s sets %s, which the %s does not read (it reads %v)", name, v, bin.name, bin.names())
			}
			bin.acceptsConfig(t, env)

			port := addrPort(t, env["MATCHPOINT_HTTP_ADDR"])
			require.NotNil(t, c.ReadinessProbe)
			require.NotNil(t, c.LivenessProbe)
			for _, p := range []struct {
				probe *probe
				path  string
			}{{c.ReadinessProbe, "/readyz"}, {c.LivenessProbe, "/healthz"}} {
				require.NotNil(t, p.probe.HTTPGet)
				assert.Equal(t, p.path, p.probe.HTTPGet.Path)
				assert.Equal(t, port, portOf(t, c, p.probe.HTTPGet.Port), "%s is asked where MATCHPOINT_HTTP_ADDR listens", p.path)
				assert.Positive(t, p.probe.PeriodSeconds)
			}
			ready := c.ReadinessProbe
			noticed := time.Duration(ready.PeriodSeconds*max(ready.FailureThreshold, 1)) * time.Second

			require.NotNil(t, pod.TerminationGracePeriodSeconds)
			grace := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
			timeout := bin.duration(t, env, "MATCHPOINT_SHUTDOWN_TIMEOUT")
			drain := timeout
			if bin == server {
				delay := bin.duration(t, env, "MATCHPOINT_SHUTDOWN_DELAY")
				assert.GreaterOrEqual(t, delay, noticed,
					"the server serves, unready, until its readiness probe has failed (every %ds, %d failures)", ready.PeriodSeconds, ready.FailureThreshold)
				drain += delay
			}
			assert.GreaterOrEqual(t, grace, drain+flushMargin, "the grace period outlasts the drain (%s) and the flush", drain)
			t.Logf("%s: drain %s (SIGKILL after %s), readiness noticed within %s", name, drain, grace, noticed)

			for _, r := range []string{"cpu", "memory"} {
				assert.NotEmpty(t, c.Resources.Requests[r], "the HPA's %s utilization needs a request", r)
			}
			assert.Equal(t, []string{"ALL"}, c.SecurityContext.Capabilities.Drop)
			assert.True(t, c.SecurityContext.ReadOnlyRootFilesystem)
			if assert.NotNil(t, c.SecurityContext.AllowPrivilegeEscalation) {
				assert.False(t, *c.SecurityContext.AllowPrivilegeEscalation)
			}

			h, ok := m.hpas[name]
			require.True(t, ok, "an HPA scales %s", name)
			assert.Equal(t, "Deployment", h.Spec.ScaleTargetRef.Kind)
			assert.Equal(t, name, h.Spec.ScaleTargetRef.Name)
			var resources []string
			for _, mt := range h.Spec.Metrics {
				assert.Equal(t, "Resource", mt.Type)
				assert.Equal(t, "Utilization", mt.Resource.Target.Type)
				assert.Positive(t, mt.Resource.Target.AverageUtilization)
				resources = append(resources, mt.Resource.Name)
			}
			assert.ElementsMatch(t, []string{"cpu", "memory"}, resources)
			assert.GreaterOrEqual(t, h.Spec.MinReplicas, 2)
			assert.Greater(t, h.Spec.MaxReplicas, h.Spec.MinReplicas)

			p, ok := m.pdbs[name]
			require.True(t, ok, "a PodDisruptionBudget keeps %s", name)
			assert.True(t, matches(p.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels))
			assert.True(t, (p.Spec.MinAvailable == nil) != (p.Spec.MaxUnavailable == nil), "minAvailable or maxUnavailable")
			if p.Spec.MinAvailable != nil {
				assert.Less(t, *p.Spec.MinAvailable, h.Spec.MinReplicas, "a node can still be drained")
			}

			s, ok := m.services[name]
			require.True(t, ok, "a Service for %s", name)
			assert.True(t, matches(s.Spec.Selector, d.Spec.Template.Metadata.Labels))
			require.NotEmpty(t, s.Spec.Ports)
			for _, sp := range s.Spec.Ports {
				assert.Equal(t, port, portOf(t, c, sp.TargetPort), "the Service reaches MATCHPOINT_HTTP_ADDR")
			}
			assert.Equal(t, strconv.Itoa(port), d.Spec.Template.Metadata.Annotations["prometheus.io/port"], "metrics beside the API")
		})
	}
	assert.Equal(t, "off", m.containerEnv(t, m.deployments["matchpoint-server"].Spec.Template.Spec.Containers[0])["MATCHPOINT_WORKER"],
		"the servers leave the jobs to the workers")

	require.Len(t, m.jobs, 1)
	for name, j := range m.jobs {
		pod := j.Spec.Template.Spec
		require.Len(t, pod.Containers, 1, name)
		c := pod.Containers[0]
		assert.Equal(t, "matchpoint-server", c.Image)
		assert.Equal(t, []string{"migrate"}, c.Args)
		assert.Contains(t, []string{"OnFailure", "Never"}, pod.RestartPolicy)
		assert.True(t, pod.SecurityContext.RunAsNonRoot)
		env := m.containerEnv(t, c)
		for v := range env {
			assert.True(t, server.reads(v), "the Job sets %s, which the server does not read", v)
		}
		server.acceptsConfig(t, env)
		assert.NotEqual(t, m.containerEnv(t, m.deployments["matchpoint-server"].Spec.Template.Spec.Containers[0])["MATCHPOINT_DATABASE_URL"],
			env["MATCHPOINT_DATABASE_URL"], "migrations connect to PostgreSQL itself, not through PgBouncer")
	}
	assert.Len(t, m.hpas, 2)
	assert.Len(t, m.pdbs, 2)
	assert.True(t, slices.Contains(m.files, "migrate-job.yaml"))
}

// put decodes one object of type T with into and files it under name in objects.
func put[T any](into func(any), objects map[string]T, name string) {
	var o T
	into(&o)
	objects[name] = o
}
