package openapi

import (
	"errors"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Part is one file of the document: the core's, a feature's or a resource's.
type Part struct {
	// Name names the part in errors (its file name).
	Name string
	// Data is the part's YAML.
	Data []byte
}

// Assemble merges parts into one document, in their order. The first part is
// the base and holds everything a document has (openapi, info, …); each later
// part may only add tags, paths, operations on a path another part opened,
// and components. Anything defined twice (a tag, an operation, a component)
// is an error naming both parts' subject, so that two features can never
// silently override each other.
func Assemble(parts []Part) (*yaml.Node, error) {
	if len(parts) == 0 {
		return nil, errors.New("assemble: no parts")
	}
	doc, err := parseRoot(parts[0])
	if err != nil {
		return nil, err
	}
	for _, p := range parts[1:] {
		root, err := parseRoot(p)
		if err != nil {
			return nil, err
		}
		if err := mergePart(doc, root); err != nil {
			return nil, fmt.Errorf("assemble %s: %w", p.Name, err)
		}
	}
	return doc, nil
}

// parseRoot reads a part whose top level is a mapping.
func parseRoot(p Part) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(p.Data, &doc); err != nil {
		return nil, fmt.Errorf("assemble %s: %w", p.Name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("assemble %s: the top level is not a mapping", p.Name)
	}
	return doc.Content[0], nil
}

func mergePart(doc, part *yaml.Node) error {
	for i := 0; i < len(part.Content); i += 2 {
		key, value := part.Content[i].Value, part.Content[i+1]
		var err error
		switch key {
		case "tags":
			err = mergeTags(doc, value)
		case "paths":
			err = mergeInto(mapping(doc, key), value, key, mergePathItem)
		case "components":
			err = mergeInto(mapping(doc, key), value, key, mergeSection)
		default:
			// A part adds to the document; it never changes what another part said.
			err = fmt.Errorf("top-level key %q: a part may only add tags, paths and components", key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// mergeTags appends the part's tags; a tag name already used is an error.
func mergeTags(doc, tags *yaml.Node) error {
	if tags.Kind != yaml.SequenceNode {
		return errors.New("tags is not a list")
	}
	have := child(doc, "tags")
	if have == nil {
		have = &yaml.Node{Kind: yaml.SequenceNode}
		appendKey(doc, "tags", have)
	}
	for _, t := range tags.Content {
		name := child(t, "name")
		if name == nil {
			return errors.New("a tag has no name")
		}
		if slices.ContainsFunc(have.Content, func(h *yaml.Node) bool { return nameOf(h) == name.Value }) {
			return fmt.Errorf("tag %q is defined twice", name.Value)
		}
		have.Content = append(have.Content, t)
	}
	return nil
}

// mergeInto adds each entry of mapping add to mapping have; an entry have
// already holds goes to onClash, which merges it or refuses.
func mergeInto(have, add *yaml.Node, what string, onClash func(name string, have, add *yaml.Node) error) error {
	if have.Kind != yaml.MappingNode || add.Kind != yaml.MappingNode {
		return fmt.Errorf("%s is not a mapping", what)
	}
	for i := 0; i+1 < len(add.Content); i += 2 {
		name, value := add.Content[i].Value, add.Content[i+1]
		existing := child(have, name)
		if existing == nil {
			have.Content = append(have.Content, add.Content[i], value)
			continue
		}
		if err := onClash(name, existing, value); err != nil {
			return err
		}
	}
	return nil
}

// mergePathItem lets two parts share a path with different operations.
func mergePathItem(path string, have, add *yaml.Node) error {
	return mergeInto(have, add, path, func(method string, _, _ *yaml.Node) error {
		return fmt.Errorf("%s %s is defined twice", method, path)
	})
}

// mergeSection adds components of one kind (schemas, responses, …).
func mergeSection(section string, have, add *yaml.Node) error {
	return mergeInto(have, add, "components."+section, func(name string, _, _ *yaml.Node) error {
		return fmt.Errorf("components.%s.%s is defined twice", section, name)
	})
}

// mapping is the mapping under key in n, added empty when missing.
func mapping(n *yaml.Node, key string) *yaml.Node {
	if v := child(n, key); v != nil {
		return v
	}
	v := &yaml.Node{Kind: yaml.MappingNode}
	appendKey(n, key, v)
	return v
}

// child is the value of key in mapping n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func nameOf(tag *yaml.Node) string {
	if n := child(tag, "name"); n != nil {
		return n.Value
	}
	return ""
}

func appendKey(n *yaml.Node, key string, value *yaml.Node) {
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, value)
}

// setScalar sets key of mapping n to a string, adding the key when missing.
func setScalar(n *yaml.Node, key, value string) {
	if v := child(n, key); v != nil {
		v.Kind, v.Tag, v.Value, v.Style = yaml.ScalarNode, "!!str", value, 0
		return
	}
	appendKey(n, key, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
}
