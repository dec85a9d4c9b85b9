package reduce

import (
	"strings"
	"time"

	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeDBInstance is the resource type of an RDS DB instance. Its ID is the
// dBInstanceIdentifier (CloudTrail's casing), lower-cased as RDS stores it.
//
// State: dBInstanceIdentifier, engine, engineVersion, dBInstanceClass,
// publiclyAccessible, storageEncrypted, kmsKeyId, masterUsername, multiAZ,
// backupRetentionPeriod, deletionProtection,
// iAMDatabaseAuthenticationEnabled, vpcSecurityGroups (sorted IDs),
// dBInstanceStatus, masterUserPasswordChanged (the time of the last
// change: passwords are never kept), restoredFromSnapshot,
// readReplicaSourceDBInstanceIdentifier, tags.
const TypeDBInstance = "AWS::RDS::DBInstance"

func init() {
	register("rds.amazonaws.com", map[string]reducer{
		"CreateDBInstance":                 createDBInstance,
		"CreateDBInstanceReadReplica":      createDBInstance,
		"RestoreDBInstanceFromDBSnapshot":  createDBInstance,
		"ModifyDBInstance":                 modifyDBInstance,
		"DeleteDBInstance":                 deleteDBInstance,
		"RebootDBInstance":                 dbInstanceStatus("rebooting"),
		"StartDBInstance":                  dbInstanceStatus("starting"),
		"StopDBInstance":                   dbInstanceStatus("stopping"),
		"AddTagsToResource":                rdsTags(true),
		"RemoveTagsFromResource":           rdsTags(false),
		"CreateDBSnapshot":                 createSnapshot(dbSnapshot),
		"CopyDBSnapshot":                   createSnapshot(dbSnapshot),
		"DeleteDBSnapshot":                 deleteSnapshot(dbSnapshot),
		"ModifyDBSnapshotAttribute":        snapshotAttribute(dbSnapshot),
		"CreateDBClusterSnapshot":          createSnapshot(clusterSnapshot),
		"CopyDBClusterSnapshot":            createSnapshot(clusterSnapshot),
		"DeleteDBClusterSnapshot":          deleteSnapshot(clusterSnapshot),
		"ModifyDBClusterSnapshotAttribute": snapshotAttribute(clusterSnapshot),
	})
}

// rdsID reduces an RDS identifier or ARN (arn:aws:rds:region:account:<kind>:name)
// to the lower-cased name; ok is false when s is an ARN of another kind.
func rdsID(c *call, typ, arnKind, s string) (state.ResourceID, bool) {
	v := s
	if strings.HasPrefix(s, "arn:") {
		name, ok := arnResource(s, ":"+arnKind+":")
		if !ok {
			return state.ResourceID{}, false
		}
		v = name
	}
	if v == "" {
		return state.ResourceID{}, false
	}
	r := c.id(typ, strings.ToLower(v))
	if region, account := arnRegionAccount(s); region != "" && account != "" {
		r.Region, r.Account = region, account
		r.ARN = s
	}
	return r, true
}

// dbInstance returns the instance named by the request, else the response.
func dbInstance(c *call, param string) (state.ResourceID, error) {
	r, ok := rdsID(c, TypeDBInstance, "db", firstNonEmpty(str(c.req, param), str(c.resp, "dBInstanceIdentifier")))
	if !ok {
		return state.ResourceID{}, c.errorf("no requestParameters.%s", param)
	}
	if a := str(c.resp, "dBInstanceArn"); a != "" {
		r.ARN = a
	}
	return r, nil
}

// dbInstanceConfig reads the tracked fields of m, a request or a
// DBInstance response; request names that differ are mapped.
func dbInstanceConfig(s, m map[string]any) {
	copyFields(s, m, "engine", "engineVersion", "dBInstanceClass", "publiclyAccessible", "storageEncrypted", "kmsKeyId",
		"masterUsername", "multiAZ", "backupRetentionPeriod", "deletionProtection", "iAMDatabaseAuthenticationEnabled",
		"dBInstanceStatus", "readReplicaSourceDBInstanceIdentifier")
	if v, ok := m["enableIAMDatabaseAuthentication"]; ok && v != nil {
		s["iAMDatabaseAuthenticationEnabled"] = v
	}
	if v, ok := m["vpcSecurityGroupIds"]; ok && v != nil {
		s["vpcSecurityGroups"] = sortedStrings(v)
	}
	if l, ok := m["vpcSecurityGroups"].([]any); ok {
		ids := make([]any, 0, len(l))
		for _, g := range l {
			if gm, ok := g.(map[string]any); ok {
				if id := str(gm, "vpcSecurityGroupId"); id != "" {
					ids = append(ids, id)
				}
			}
		}
		s["vpcSecurityGroups"] = sortedStrings(ids)
	}
}

// createDBInstance handles CreateDBInstance, CreateDBInstanceReadReplica
// and RestoreDBInstanceFromDBSnapshot (a restore is how a copied or shared
// snapshot's data comes back to life).
func createDBInstance(c *call) ([]state.Change, error) {
	r, err := dbInstance(c, "dBInstanceIdentifier")
	if err != nil {
		return nil, err
	}
	s := map[string]any{"dBInstanceIdentifier": r.ID}
	dbInstanceConfig(s, c.req)
	if sid := str(c.req, "dBSnapshotIdentifier"); sid != "" {
		s["restoredFromSnapshot"] = sid
	}
	if src := str(c.req, "sourceDBInstanceIdentifier"); src != "" {
		s["readReplicaSourceDBInstanceIdentifier"] = src
	}
	dbInstanceConfig(s, c.resp)
	if t := kvTags(c.req["tags"]); len(t) > 0 {
		s["tags"] = t
	} else if t := kvTags(c.resp["tagList"]); len(t) > 0 {
		s["tags"] = t
	}
	return []state.Change{{Resource: r, Op: state.OpPut, Value: s}}, nil
}

// modifyDBInstance records the requested values, applied now or at the
// next maintenance window (the response's top level still shows the old
// ones): for security the intent is what counts. A new master password is
// recorded as the time it changed.
func modifyDBInstance(c *call) ([]state.Change, error) {
	r, err := dbInstance(c, "dBInstanceIdentifier")
	if err != nil {
		return nil, err
	}
	s := map[string]any{}
	dbInstanceConfig(s, c.req)
	copyFields(s, c.resp, "dBInstanceStatus")
	if _, ok := c.req["masterUserPassword"]; ok {
		s["masterUserPasswordChanged"] = c.e.Time.UTC().Format(time.RFC3339)
	}
	return setChanges(r, s), nil
}

// deleteDBInstance deletes the instance and, unless skipped, records the
// final snapshot it leaves (a failed call leaves none: it is no target).
func deleteDBInstance(c *call) ([]state.Change, error) {
	r, err := dbInstance(c, "dBInstanceIdentifier")
	if err != nil {
		return nil, err
	}
	out := []state.Change{{Resource: r, Op: state.OpDelete}}
	if skip, _ := c.req["skipFinalSnapshot"].(bool); !skip && !c.e.Failed() {
		if sr, ok := rdsID(c, dbSnapshot.typ, dbSnapshot.arnKind, str(c.req, "finalDBSnapshotIdentifier")); ok {
			s := map[string]any{"dBSnapshotIdentifier": sr.ID, "dBInstanceIdentifier": r.ID}
			copyFields(s, c.resp, "engine", "kmsKeyId")
			if v, ok := c.resp["storageEncrypted"]; ok && v != nil {
				s["encrypted"] = v
			}
			out = append(out, state.Change{Resource: sr, Op: state.OpPut, Value: s})
		}
	}
	return out, nil
}

func dbInstanceStatus(status string) reducer {
	return func(c *call) ([]state.Change, error) {
		r, err := dbInstance(c, "dBInstanceIdentifier")
		if err != nil {
			return nil, err
		}
		return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"dBInstanceStatus"}, Value: firstNonEmpty(str(c.resp, "dBInstanceStatus"), status)}}, nil
	}
}

// rdsTags tags or untags an instance or a snapshot, named by ARN in
// resourceName; other RDS resources are not tracked.
func rdsTags(add bool) reducer {
	return func(c *call) ([]state.Change, error) {
		arn := str(c.req, "resourceName")
		if arn == "" {
			return nil, c.errorf("no requestParameters.resourceName")
		}
		var r state.ResourceID
		ok := false
		for _, k := range [...]struct{ typ, arnKind string }{{TypeDBInstance, "db"}, {dbSnapshot.typ, dbSnapshot.arnKind}, {clusterSnapshot.typ, clusterSnapshot.arnKind}} {
			if r, ok = rdsID(c, k.typ, k.arnKind, arn); ok {
				break
			}
		}
		if !ok || !strings.HasPrefix(arn, "arn:") {
			return nil, nil
		}
		if add {
			return tagChanges(r, kvTags(c.req["tags"])), nil
		}
		return untagChanges(r, c.req["tagKeys"]), nil
	}
}
