package estest

import (
	"encoding/json"
	"net/http"
	"sort"
)

// aliasAction is one add, remove or remove_index of an _aliases request.
type aliasAction struct {
	Index     string   `json:"index"`
	Indices   []string `json:"indices"`
	Alias     string   `json:"alias"`
	Aliases   []string `json:"aliases"`
	MustExist *bool    `json:"must_exist"`
}

// names returns the single and listed values together.
func names(one string, many []string) []string {
	if one != "" {
		return append([]string{one}, many...)
	}
	return many
}

// updateAliases applies an _aliases request atomically: every action is checked against the
// state the earlier actions leave, and nothing changes unless all succeed.
func (c *cluster) updateAliases(body []byte) (int, any, *esError) {
	var req struct {
		Actions []map[string]aliasAction `json:"actions"`
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.Actions) == 0 {
		return 0, nil, errorf(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: no actions specified;")
	}
	next := copyAliases(c.aliases)
	dropped := map[string]bool{}
	for _, action := range req.Actions {
		for kind, a := range action {
			if err := c.applyAliasAction(next, dropped, kind, a); err != nil {
				return 0, nil, err
			}
		}
	}
	c.aliases = next
	for name := range dropped {
		delete(c.indexes, name)
	}
	return http.StatusOK, map[string]any{"acknowledged": true, "errors": false}, nil
}

// applyAliasAction applies one action to the pending alias table.
func (c *cluster) applyAliasAction(next map[string]map[string]bool, dropped map[string]bool, kind string, a aliasAction) *esError {
	for _, idx := range names(a.Index, a.Indices) {
		if c.indexes[idx] == nil || dropped[idx] {
			return indexNotFound(idx)
		}
		switch kind {
		case "add":
			for _, alias := range names(a.Alias, a.Aliases) {
				if c.indexes[alias] != nil {
					return errorf(http.StatusBadRequest, "invalid_alias_name_exception",
						"Invalid alias name [%s]: an index or data stream exists with the same name as the alias", alias)
				}
				if next[alias] == nil {
					next[alias] = map[string]bool{}
				}
				next[alias][idx] = true
			}
		case "remove":
			for _, alias := range names(a.Alias, a.Aliases) {
				if !next[alias][idx] {
					e := errorf(http.StatusNotFound, "aliases_not_found_exception", "aliases [%s] missing", alias)
					e.extra = map[string]any{"resource.type": "aliases", "resource.id": alias}
					return e
				}
				delete(next[alias], idx)
				if len(next[alias]) == 0 {
					delete(next, alias)
				}
			}
		case "remove_index":
			dropped[idx] = true
			for alias := range next {
				delete(next[alias], idx)
			}
		default:
			return errorf(http.StatusBadRequest, "x_content_parse_exception", "[aliases] unknown field [%s]", kind)
		}
	}
	return nil
}

// copyAliases deep-copies the alias table.
func copyAliases(in map[string]map[string]bool) map[string]map[string]bool {
	out := make(map[string]map[string]bool, len(in))
	for alias, members := range in {
		out[alias] = make(map[string]bool, len(members))
		for n := range members {
			out[alias][n] = true
		}
	}
	return out
}

// Indexes names the cluster's physical indexes, sorted.
func (s *Server) Indexes() []string {
	s.cluster.mu.Lock()
	defer s.cluster.mu.Unlock()
	out := make([]string, 0, len(s.cluster.indexes))
	for n := range s.cluster.indexes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// AliasIndexes names the indexes an alias points at, sorted.
func (s *Server) AliasIndexes(alias string) []string {
	s.cluster.mu.Lock()
	defer s.cluster.mu.Unlock()
	out := []string{}
	for n := range s.cluster.aliases[alias] {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Settings returns an index's settings as its create request sent them, or nil when there is
// no such index.
func (s *Server) Settings(index string) json.RawMessage { return s.indexPart(index, true) }

// Mappings returns an index's mappings as its create request sent them, or nil when there is
// no such index.
func (s *Server) Mappings(index string) json.RawMessage { return s.indexPart(index, false) }

func (s *Server) indexPart(name string, settings bool) json.RawMessage {
	s.cluster.mu.Lock()
	defer s.cluster.mu.Unlock()
	idx := s.cluster.indexes[name]
	switch {
	case idx == nil:
		return nil
	case settings:
		return idx.settings
	}
	return idx.mappings
}

// Doc returns a stored document's source and version from an index or single-index alias.
func (s *Server) Doc(index, id string) (source json.RawMessage, version int64, ok bool) {
	s.cluster.mu.Lock()
	defer s.cluster.mu.Unlock()
	idx, err := s.cluster.lookupWrite(index)
	if err != nil || idx.docs[id] == nil {
		return nil, 0, false
	}
	d := idx.docs[id]
	return d.source, d.version, true
}
