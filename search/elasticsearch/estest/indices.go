package estest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// indexAPI answers PUT (create), DELETE, GET and HEAD on /<index>.
func (c *cluster) indexAPI(method, name string, body []byte) (int, any, *esError) {
	switch method {
	case http.MethodPut:
		return c.createIndex(name, body)
	case http.MethodDelete:
		return c.deleteIndex(name)
	case http.MethodHead:
		if _, err := c.resolve(name); err != nil {
			return http.StatusNotFound, nil, nil
		}
		return http.StatusOK, nil, nil
	case http.MethodGet:
		return c.getIndex(name)
	}
	return noHandler(Request{Method: method, Path: "/" + name})
}

// createBody is the body of a create-index request.
type createBody struct {
	Settings json.RawMessage           `json:"settings"`
	Mappings json.RawMessage           `json:"mappings"`
	Aliases  map[string]map[string]any `json:"aliases"`
}

// createIndex makes an index after checking its name and mapping as Elasticsearch would.
func (c *cluster) createIndex(name string, body []byte) (int, any, *esError) {
	if err := c.checkNewName(name); err != nil {
		return 0, nil, err
	}
	var b createBody
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			return 0, nil, errorf(http.StatusBadRequest, "parse_exception", "failed to parse create index body: %v", err)
		}
	}
	idx, err := c.newIndex(name, b.Settings, b.Mappings)
	if err != nil {
		return 0, nil, err
	}
	c.indexes[name] = idx
	for alias := range b.Aliases {
		c.addAlias(alias, name)
	}
	return http.StatusOK, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": name}, nil
}

// checkNewName applies Elasticsearch's index name rules.
func (c *cluster) checkNewName(name string) *esError {
	invalid := func(why string) *esError {
		e := errorf(http.StatusBadRequest, "invalid_index_name_exception", "Invalid index name [%s], %s", name, why)
		e.extra = map[string]any{"index": name, "index_uuid": "_na_"}
		return e
	}
	switch {
	case name != strings.ToLower(name):
		return invalid("must be lowercase")
	case strings.ContainsAny(name, `\/*?"<>| ,#:`):
		return invalid(`must not contain the following characters [ , ", *, \, <, |, ,, >, /, ?]`)
	case strings.HasPrefix(name, "_") || strings.HasPrefix(name, "-") || strings.HasPrefix(name, "+"):
		return invalid("must not start with '_', '-', or '+'")
	case c.aliases[name] != nil:
		return invalid("already exists as alias")
	case c.indexes[name] != nil:
		e := errorf(http.StatusBadRequest, "resource_already_exists_exception", "index [%s/%s] already exists", name, c.indexes[name].uuid)
		e.extra = map[string]any{"index": name, "index_uuid": c.indexes[name].uuid}
		return e
	}
	return nil
}

// newIndex builds an empty index, rejecting mappings Elasticsearch would reject.
func (c *cluster) newIndex(name string, settings, mappings json.RawMessage) (*index, *esError) {
	c.uuids++
	idx := &index{name: name, uuid: fmt.Sprintf("uuid-%d", c.uuids), settings: settings, mappings: mappings, docs: map[string]*document{}}
	if len(mappings) == 0 {
		return idx, nil
	}
	var m struct {
		Dynamic    any            `json:"dynamic"`
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(mappings, &m); err != nil {
		return nil, errorf(http.StatusBadRequest, "mapper_parsing_exception", "Failed to parse mapping: %v", err)
	}
	if err := checkProperties(m.Properties, analyzersOf(settings)); err != nil {
		return nil, err
	}
	idx.properties, idx.strict = m.Properties, fmt.Sprint(m.Dynamic) == "strict"
	return idx, nil
}

// deleteIndex deletes one concrete index; aliases cannot be deleted this way.
func (c *cluster) deleteIndex(name string) (int, any, *esError) {
	if c.aliases[name] != nil {
		return 0, nil, errorf(http.StatusBadRequest, "illegal_argument_exception",
			"The provided expression [%s] matches an alias, specify the corresponding concrete indices instead.", name)
	}
	if c.indexes[name] == nil {
		return 0, nil, indexNotFound(name)
	}
	delete(c.indexes, name)
	for alias := range c.aliases {
		c.removeAlias(alias, name)
	}
	return http.StatusOK, acknowledged(), nil
}

// getIndex answers GET /<index> with aliases, mappings and settings as stored.
func (c *cluster) getIndex(expr string) (int, any, *esError) {
	indexes, err := c.resolve(expr)
	if err != nil {
		return 0, nil, err
	}
	out := map[string]any{}
	for _, idx := range indexes {
		aliases := map[string]any{}
		for _, a := range c.aliasesOf(idx.name) {
			aliases[a] = map[string]any{}
		}
		out[idx.name] = map[string]any{"aliases": aliases, "mappings": rawOrEmpty(idx.mappings), "settings": map[string]any{"index": rawOrEmpty(idx.settings)}}
	}
	return http.StatusOK, out, nil
}

// getAlias answers GET [/<index>]/_alias/<name>; 404 when no index has the alias.
func (c *cluster) getAlias(expr, name string) (int, any, *esError) {
	indexes, err := c.resolve(expr)
	if err != nil {
		return 0, nil, err
	}
	out := map[string]any{}
	for _, idx := range indexes {
		for _, a := range c.aliasesOf(idx.name) {
			if a == name || name == "*" || name == "_all" {
				out[idx.name] = map[string]any{"aliases": map[string]any{a: map[string]any{}}}
			}
		}
	}
	if len(out) == 0 {
		return http.StatusNotFound, map[string]any{"error": fmt.Sprintf("alias [%s] missing", name), "status": http.StatusNotFound}, nil
	}
	return http.StatusOK, out, nil
}

// aliasesOf lists the aliases of an index, sorted.
func (c *cluster) aliasesOf(name string) []string {
	var out []string
	for alias, members := range c.aliases {
		if members[name] {
			out = append(out, alias)
		}
	}
	sort.Strings(out)
	return out
}

func (c *cluster) addAlias(alias, name string) {
	if c.aliases[alias] == nil {
		c.aliases[alias] = map[string]bool{}
	}
	c.aliases[alias][name] = true
}

func (c *cluster) removeAlias(alias, name string) {
	delete(c.aliases[alias], name)
	if len(c.aliases[alias]) == 0 {
		delete(c.aliases, alias)
	}
}

// rawOrEmpty returns stored JSON, or an empty object when none was given.
func rawOrEmpty(raw json.RawMessage) any {
	if len(raw) == 0 {
		return map[string]any{}
	}
	return raw
}
