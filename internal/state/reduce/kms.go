package reduce

import (
	"strings"

	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeKey is the resource type of a KMS key. Its ID is the key ID (a key
// ARN in a request is reduced to it; an alias is resolved through the
// response or the record's resources).
//
// State: keyId, arn, keySpec, keyUsage, origin, keyManager, multiRegion,
// description, enabled, keyState, policy (decoded), keyRotationEnabled,
// rotationPeriodInDays, deletionDate, pendingWindowInDays, aliases (set of
// alias names), tags.
const TypeKey = "AWS::KMS::Key"

func init() {
	register("kms.amazonaws.com", map[string]reducer{
		"CreateKey":            createKey,
		"PutKeyPolicy":         putKeyPolicy,
		"EnableKey":            keyFields(map[string]any{"enabled": true, "keyState": "Enabled"}),
		"DisableKey":           keyFields(map[string]any{"enabled": false, "keyState": "Disabled"}),
		"ScheduleKeyDeletion":  scheduleKeyDeletion,
		"CancelKeyDeletion":    cancelKeyDeletion,
		"EnableKeyRotation":    keyRotation(true),
		"DisableKeyRotation":   keyRotation(false),
		"UpdateKeyDescription": updateKeyDescription,
		"TagResource":          keyTags(true),
		"UntagResource":        keyTags(false),
		"CreateAlias":          keyAlias(state.OpAdd),
		"DeleteAlias":          keyAlias(state.OpRemove),
	})
}

// keyIDOf reduces a key ID or key ARN (…:key/<id>) to the ID; "" for an
// alias or an alias ARN.
func keyIDOf(s string) string {
	if id, ok := arnResource(s, ":key/"); ok {
		return id
	}
	if strings.HasPrefix(s, "alias/") || strings.HasPrefix(s, "arn:") {
		return ""
	}
	return s
}

// key returns the key a call is about: requestParameters.<param>, else
// the response's keyId or keyMetadata, else the record's resources[].
func key(c *call, param string) (state.ResourceID, error) {
	var id, arn string
	for _, s := range []string{str(c.req, param), str(c.resp, "keyId"), str(c.resp, "keyMetadata", "keyId"), str(c.resp, "keyMetadata", "arn")} {
		if id == "" {
			id = keyIDOf(s)
		}
		if _, ok := arnResource(s, ":key/"); ok && arn == "" {
			arn = s
		}
	}
	if id == "" || arn == "" {
		if rs, err := c.e.Resources(); err == nil {
			for _, res := range rs {
				if k := keyIDOf(res.ARN); k != "" && res.Type == TypeKey && (id == "" || id == k) {
					id, arn = k, res.ARN
					break
				}
			}
		}
	}
	if id == "" {
		return state.ResourceID{}, c.errorf("no key ID in requestParameters.%s, responseElements or resources", param)
	}
	r := c.id(TypeKey, id)
	if region, account := arnRegionAccount(arn); region != "" && account != "" {
		r.Region, r.Account = region, account
	}
	r.ARN = arn
	return r, nil
}

// createKey needs the response: the key ID is made by the call.
func createKey(c *call) ([]state.Change, error) {
	md, ok := c.resp["keyMetadata"].(map[string]any)
	if !ok {
		return nil, c.errorf("no responseElements.keyMetadata")
	}
	r, err := key(c, "keyId")
	if err != nil {
		return nil, err
	}
	s := map[string]any{"keyId": r.ID}
	copyFields(s, c.req, "keyUsage", "origin", "description", "multiRegion")
	if spec := firstNonEmpty(str(c.req, "keySpec"), str(c.req, "customerMasterKeySpec")); spec != "" {
		s["keySpec"] = spec
	}
	copyFields(s, md, "arn", "keyUsage", "origin", "description", "enabled", "keyState", "keyManager", "multiRegion")
	if spec := firstNonEmpty(str(md, "keySpec"), str(md, "customerMasterKeySpec")); spec != "" {
		s["keySpec"] = spec
	}
	if p, ok := c.req["policy"]; ok && p != nil && p != "" {
		s["policy"] = jsonDocument(p)
	}
	if t := kvTags(c.req["tags"]); len(t) > 0 {
		s["tags"] = t
	}
	return []state.Change{{Resource: r, Op: state.OpPut, Value: s}}, nil
}

func putKeyPolicy(c *call) ([]state.Change, error) {
	r, err := key(c, "keyId")
	if err != nil {
		return nil, err
	}
	p, ok := c.req["policy"]
	if !ok || p == nil || p == "" {
		return nil, c.errorf("no requestParameters.policy")
	}
	return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"policy"}, Value: jsonDocument(p)}}, nil
}

// keyFields sets fixed fields.
func keyFields(fields map[string]any) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := key(c, "keyId")
		if err != nil {
			return nil, err
		}
		return setChanges(r, fields), nil
	}
}

// scheduleKeyDeletion records when the key goes: the key is unusable from
// now, and lost for good at deletionDate.
func scheduleKeyDeletion(c *call) ([]state.Change, error) {
	r, err := key(c, "keyId")
	if err != nil {
		return nil, err
	}
	f := map[string]any{"enabled": false, "keyState": firstNonEmpty(str(c.resp, "keyState"), "PendingDeletion")}
	copyFields(f, c.req, "pendingWindowInDays")
	copyFields(f, c.resp, "pendingWindowInDays", "deletionDate")
	return setChanges(r, f), nil
}

// cancelKeyDeletion leaves the key disabled, as KMS does.
func cancelKeyDeletion(c *call) ([]state.Change, error) {
	r, err := key(c, "keyId")
	if err != nil {
		return nil, err
	}
	return []state.Change{
		{Resource: r, Op: state.OpUnset, Path: []string{"deletionDate"}},
		{Resource: r, Op: state.OpUnset, Path: []string{"pendingWindowInDays"}},
		{Resource: r, Op: state.OpSet, Path: []string{"keyState"}, Value: "Disabled"},
	}, nil
}

func keyRotation(on bool) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := key(c, "keyId")
		if err != nil {
			return nil, err
		}
		f := map[string]any{"keyRotationEnabled": on}
		if on {
			copyFields(f, c.req, "rotationPeriodInDays")
		}
		return setChanges(r, f), nil
	}
}

func updateKeyDescription(c *call) ([]state.Change, error) {
	r, err := key(c, "keyId")
	if err != nil {
		return nil, err
	}
	d, ok := c.req["description"].(string)
	if !ok {
		return nil, c.errorf("no requestParameters.description")
	}
	return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"description"}, Value: d}}, nil
}

func keyTags(tag bool) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := key(c, "keyId")
		if err != nil {
			return nil, err
		}
		if tag {
			tags := kvTags(c.req["tags"])
			if tags == nil {
				return nil, c.errorf("no requestParameters.tags")
			}
			return tagChanges(r, tags), nil
		}
		return untagChanges(r, c.req["tagKeys"]), nil
	}
}

// keyAlias adds an alias to its target key, or removes it. DeleteAlias
// names only the alias: the key comes from the record's resources[], and
// without it nothing is known to change.
func keyAlias(op state.Op) reducer {
	return func(c *call) ([]state.Change, error) {
		name := str(c.req, "aliasName")
		if name == "" {
			return nil, c.errorf("no requestParameters.aliasName")
		}
		r, err := key(c, "targetKeyId")
		if err != nil {
			if op == state.OpRemove {
				return nil, nil
			}
			return nil, err
		}
		ch := state.Change{Resource: r, Op: op, Path: []string{"aliases", name}}
		if op == state.OpAdd {
			ch.Value = name
		}
		return []state.Change{ch}, nil
	}
}
