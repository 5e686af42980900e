package generator

import (
	"strings"
	"testing"
)

func TestMergeGoMod(t *testing.T) {
	t.Parallel()
	const base = `module example.com/demo

go 1.26.0

require (
	example.org/a v1.0.0
	example.org/b v1.0.0
)

require example.org/c v1.0.0 // indirect
`
	tests := []struct {
		name, next, current string
		want                []string // lines the result has
		notWant             []string
	}{
		{"untouched: upstream's go.mod", strings.Replace(base, "a v1.0.0", "a v1.1.0", 1), base,
			[]string{"example.org/a v1.1.0"}, nil},
		{"owner's requirement kept, upstream's added and raised",
			strings.Replace(base, "example.org/b v1.0.0\n", "example.org/b v1.2.0\n\texample.org/t v0.3.0\n", 1) + "require example.org/u v1.0.0 // indirect\n",
			strings.Replace(base, "example.org/b v1.0.0\n", "example.org/b v1.0.0\n\texample.org/mine v1.9.0\n", 1),
			[]string{"example.org/mine v1.9.0", "example.org/b v1.2.0", "example.org/t v0.3.0", "example.org/u v1.0.0 // indirect"}, nil},
		{"the owner's higher version wins", strings.Replace(base, "a v1.0.0", "a v1.1.0", 1),
			strings.Replace(base, "a v1.0.0", "a v1.5.0", 1) + "// mine\n",
			[]string{"example.org/a v1.5.0", "// mine"}, []string{"v1.1.0"}},
		{"a version upstream did not change stays the owner's", base,
			strings.Replace(base, "b v1.0.0", "b v0.9.0", 1) + "// mine\n",
			[]string{"example.org/b v0.9.0"}, nil},
		{"the go line rises, never falls", strings.Replace(base, "go 1.26.0", "go 1.26.8", 1),
			strings.Replace(base, "example.org/b v1.0.0\n", "example.org/b v1.0.0\n\texample.org/mine v1.9.0\n", 1),
			[]string{"go 1.26.8", "example.org/mine v1.9.0"}, nil},
		{"an owner's newer go line stays", base, strings.Replace(base, "go 1.26.0", "go 1.27.1", 1),
			[]string{"go 1.27.1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := mergeGoMod([]byte(base), []byte(tt.next), []byte(tt.current))
			if err != nil {
				t.Fatal(err)
			}
			got := string(out)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("has %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestMergeGoSum(t *testing.T) {
	t.Parallel()
	base := "a v1 h1:x=\n"
	if got := string(mergeGoSum([]byte(base), []byte("t v1 h1:t=\n"), []byte(base))); got != "t v1 h1:t=\n" {
		t.Errorf("untouched go.sum: %q", got)
	}
	// The union, in the go command's order: versions compare as versions.
	got := string(mergeGoSum([]byte(base),
		[]byte("a v1 h1:x=\nt v1.0.10 h1:t10=\nt v1.0.10/go.mod h1:t10m=\n"),
		[]byte("a v1 h1:x=\nmine v1 h1:m=\nt v1.0.9/go.mod h1:t9m=\n")))
	want := "a v1 h1:x=\nmine v1 h1:m=\nt v1.0.9/go.mod h1:t9m=\nt v1.0.10 h1:t10=\nt v1.0.10/go.mod h1:t10m=\n"
	if got != want {
		t.Errorf("merged go.sum =\n%s\nwant\n%s", got, want)
	}
}
