package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// encodeJSON writes n as compact JSON, keeping the order of mapping keys
// (decoding into a Go map would sort them, and the docs page lists paths
// and tags in the order the document gives).
func encodeJSON(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("line %d: a document holds one node", n.Line)
		}
		return encodeJSON(buf, n.Content[0])
	case yaml.AliasNode:
		return encodeJSON(buf, n.Alias)
	case yaml.MappingNode:
		return encodeObject(buf, n)
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := encodeJSON(buf, item); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case yaml.ScalarNode:
		return encodeScalar(buf, n)
	}
	return fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

func encodeObject(buf *bytes.Buffer, n *yaml.Node) error {
	buf.WriteByte('{')
	for i := 0; i+1 < len(n.Content); i += 2 {
		if i > 0 {
			buf.WriteByte(',')
		}
		key := n.Content[i]
		if key.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: a key is not a scalar", key.Line)
		}
		// Every key is a string in JSON, status codes (200:) included.
		if err := marshalInto(buf, key.Value); err != nil {
			return err
		}
		buf.WriteByte(':')
		if err := encodeJSON(buf, n.Content[i+1]); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

// encodeScalar writes a scalar as the JSON value its YAML tag resolves to;
// a timestamp stays the string it was written as.
func encodeScalar(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!str", "!!timestamp", "!!binary":
		return marshalInto(buf, n.Value)
	case "!!null":
		buf.WriteString("null")
		return nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return marshalInto(buf, v)
}

func marshalInto(buf *bytes.Buffer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	buf.Write(data)
	return nil
}
