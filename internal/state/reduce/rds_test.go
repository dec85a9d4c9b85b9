package reduce

import "testing"

const rdsSource = "rds.amazonaws.com"

func TestReduceRDSInstances(t *testing.T) {
	const (
		db = "terraform-20230710121504061500000001"
		id = "us-east-1/AWS::RDS::DBInstance/" + db
	)
	runCases(t, []reduceCase{
		{name: "CreateDBInstance", source: rdsSource, event: "CreateDBInstance",
			req:  `{"dBInstanceIdentifier":"` + db + `","deletionProtection":false,"dBSubnetGroupName":"share-snap-vpc","engine":"mysql","publiclyAccessible":false,"masterUsername":"admin","allocatedStorage":10,"backupRetentionPeriod":0,"dBName":"sharesnapdb","copyTagsToSnapshot":false,"storageEncrypted":false,"engineVersion":"8.0","tags":[{"value":"true","key":"StratusRedTeam"}],"dBInstanceClass":"db.t3.micro","masterUserPassword":"HIDDEN_DUE_TO_SECURITY_REASONS","autoMinorVersionUpgrade":true}`,
			resp: `{"dBInstanceArn":"arn:aws:rds:us-east-1:123837392027:db:` + db + `","storageEncrypted":false,"backupRetentionPeriod":0,"allocatedStorage":10,"storageType":"gp2","engineVersion":"8.0.32","dBInstanceClass":"db.t3.micro","masterUsername":"admin","multiAZ":false,"engine":"mysql","deletionProtection":false,"pendingModifiedValues":{"masterUserPassword":"HIDDEN_DUE_TO_SECURITY_REASONS"},"dBInstanceStatus":"creating","publiclyAccessible":false,"dBInstanceIdentifier":"` + db + `","tagList":[{"value":"true","key":"StratusRedTeam"}],"iAMDatabaseAuthenticationEnabled":false,"vpcSecurityGroups":[{"status":"active","vpcSecurityGroupId":"sg-0a1ae80d31d1e9c86"}],"dBName":"sharesnapdb"}`,
			want: `put ` + id + ` = {"backupRetentionPeriod":0,"dBInstanceClass":"db.t3.micro","dBInstanceIdentifier":"` + db + `","dBInstanceStatus":"creating","deletionProtection":false,"engine":"mysql","engineVersion":"8.0.32","iAMDatabaseAuthenticationEnabled":false,"masterUsername":"admin","multiAZ":false,"publiclyAccessible":false,"storageEncrypted":false,"tags":{"StratusRedTeam":"true"},"vpcSecurityGroups":["sg-0a1ae80d31d1e9c86"]}`},
		{name: "CreateDBInstance without response, mixed case", source: rdsSource, event: "CreateDBInstance",
			req:  `{"dBInstanceIdentifier":"Prod-DB","engine":"postgres","publiclyAccessible":true,"vpcSecurityGroupIds":["sg-2","sg-1"],"enableIAMDatabaseAuthentication":true,"masterUserPassword":"****"}`,
			want: `put us-east-1/AWS::RDS::DBInstance/prod-db = {"dBInstanceIdentifier":"prod-db","engine":"postgres","iAMDatabaseAuthenticationEnabled":true,"publiclyAccessible":true,"vpcSecurityGroups":["sg-1","sg-2"]}`},
		{name: "CreateDBInstance without identifier", source: rdsSource, event: "CreateDBInstance", req: `{"engine":"mysql"}`, wantErr: true},
		{name: "RestoreDBInstanceFromDBSnapshot", source: rdsSource, event: "RestoreDBInstanceFromDBSnapshot",
			req:  `{"dBInstanceIdentifier":"restored","dBSnapshotIdentifier":"arn:aws:rds:us-east-1:193672423079:snapshot:exfiltration","publiclyAccessible":true}`,
			want: `put us-east-1/AWS::RDS::DBInstance/restored = {"dBInstanceIdentifier":"restored","publiclyAccessible":true,"restoredFromSnapshot":"arn:aws:rds:us-east-1:193672423079:snapshot:exfiltration"}`},
		{name: "ModifyDBInstance made public with a new password", source: rdsSource, event: "ModifyDBInstance",
			req:  `{"dBInstanceIdentifier":"` + db + `","publiclyAccessible":true,"masterUserPassword":"HIDDEN_DUE_TO_SECURITY_REASONS","applyImmediately":true,"deletionProtection":false}`,
			resp: `{"dBInstanceIdentifier":"` + db + `","dBInstanceStatus":"modifying","publiclyAccessible":false,"pendingModifiedValues":{"masterUserPassword":"HIDDEN_DUE_TO_SECURITY_REASONS"}}`,
			want: `set ` + id + ` dBInstanceStatus = "modifying"
set ` + id + ` deletionProtection = false
set ` + id + ` masterUserPasswordChanged = "2023-07-10T12:10:01Z"
set ` + id + ` publiclyAccessible = true`},
		{name: "ModifyDBInstance denied", source: rdsSource, event: "ModifyDBInstance", req: `{"dBInstanceIdentifier":"` + db + `","publiclyAccessible":true}`, errorCode: "AccessDenied"},
		{name: "RebootDBInstance", source: rdsSource, event: "RebootDBInstance", req: `{"dBInstanceIdentifier":"` + db + `"}`,
			want: `set ` + id + ` dBInstanceStatus = "rebooting"`},
		{name: "StopDBInstance", source: rdsSource, event: "StopDBInstance", req: `{"dBInstanceIdentifier":"` + db + `"}`, resp: `{"dBInstanceIdentifier":"` + db + `","dBInstanceStatus":"stopping"}`,
			want: `set ` + id + ` dBInstanceStatus = "stopping"`},
		{name: "StartDBInstance", source: rdsSource, event: "StartDBInstance", req: `{"dBInstanceIdentifier":"` + db + `"}`,
			want: `set ` + id + ` dBInstanceStatus = "starting"`},
		{name: "StartDBInstance identifier a list", source: rdsSource, event: "StartDBInstance", req: `{"dBInstanceIdentifier":["x"]}`, wantErr: true},
		{name: "DeleteDBInstance with a final snapshot", source: rdsSource, event: "DeleteDBInstance",
			req:  `{"dBInstanceIdentifier":"` + db + `","skipFinalSnapshot":false,"finalDBSnapshotIdentifier":"` + db + `-snapshot","deleteAutomatedBackups":true}`,
			resp: `{"dBInstanceIdentifier":"` + db + `","engine":"mysql","dBInstanceStatus":"deleting","storageEncrypted":false,"dBInstanceArn":"arn:aws:rds:us-east-1:123837392027:db:` + db + `"}`,
			want: `delete ` + id + `
put us-east-1/AWS::RDS::DBSnapshot/` + db + `-snapshot = {"dBInstanceIdentifier":"` + db + `","dBSnapshotIdentifier":"` + db + `-snapshot","encrypted":false,"engine":"mysql"}`},
		{name: "DeleteDBInstance skipping the snapshot", source: rdsSource, event: "DeleteDBInstance", req: `{"dBInstanceIdentifier":"` + db + `","skipFinalSnapshot":true}`,
			want: `delete ` + id},
		{name: "DeleteDBInstance already deleting", source: rdsSource, event: "DeleteDBInstance", req: `{"dBInstanceIdentifier":"` + db + `","skipFinalSnapshot":true}`, errorCode: "InvalidDBInstanceStateFault"},
		{name: "AddTagsToResource", source: rdsSource, event: "AddTagsToResource", req: `{"resourceName":"arn:aws:rds:us-east-1:123837392027:db:` + db + `","tags":[{"key":"env","value":"prod"}]}`,
			want: `set ` + id + ` tags.env = "prod"`},
		{name: "RemoveTagsFromResource on a snapshot", source: rdsSource, event: "RemoveTagsFromResource", req: `{"resourceName":"arn:aws:rds:us-east-1:123837392027:snapshot:exfiltration","tagKeys":["env"]}`,
			want: `unset us-east-1/AWS::RDS::DBSnapshot/exfiltration tags.env`},
		{name: "AddTagsToResource on a parameter group", source: rdsSource, event: "AddTagsToResource", req: `{"resourceName":"arn:aws:rds:us-east-1:123837392027:pg:custom","tags":[{"key":"k","value":"v"}]}`},
		{name: "AddTagsToResource without resource", source: rdsSource, event: "AddTagsToResource", req: `{"tags":[]}`, wantErr: true},
	})
}

func TestReduceRDSSnapshots(t *testing.T) {
	const id = "us-east-1/AWS::RDS::DBSnapshot/exfiltration"
	runCases(t, []reduceCase{
		{name: "CreateDBSnapshot", source: rdsSource, event: "CreateDBSnapshot",
			req:  `{"dBInstanceIdentifier":"terraform-1","tags":[{"value":"true","key":"StratusRedTeam"}],"dBSnapshotIdentifier":"exfiltration"}`,
			resp: `{"allocatedStorage":10,"dBSnapshotIdentifier":"exfiltration","port":3306,"dBSnapshotArn":"arn:aws:rds:us-east-1:123837392027:snapshot:exfiltration","encrypted":false,"percentProgress":0,"tagList":[{"value":"true","key":"StratusRedTeam"}],"dBInstanceIdentifier":"terraform-1","status":"creating","masterUsername":"admin","engine":"mysql","snapshotType":"manual","engineVersion":"8.0.32"}`,
			want: `put ` + id + ` = {"dBInstanceIdentifier":"terraform-1","dBSnapshotIdentifier":"exfiltration","encrypted":false,"engine":"mysql","snapshotType":"manual","status":"creating","tags":{"StratusRedTeam":"true"}}`},
		{name: "CreateDBSnapshot without identifier", source: rdsSource, event: "CreateDBSnapshot", req: `{"dBInstanceIdentifier":"terraform-1"}`, wantErr: true},
		{name: "CopyDBSnapshot from another account", source: rdsSource, event: "CopyDBSnapshot",
			req:  `{"sourceDBSnapshotIdentifier":"arn:aws:rds:us-east-1:193672423079:snapshot:shared","targetDBSnapshotIdentifier":"Stolen","kmsKeyId":"alias/mine","copyTags":false}`,
			want: `put us-east-1/AWS::RDS::DBSnapshot/stolen = {"dBSnapshotIdentifier":"stolen","kmsKeyId":"alias/mine","sourceDBSnapshotIdentifier":"arn:aws:rds:us-east-1:193672423079:snapshot:shared"}`},
		{name: "ModifyDBSnapshotAttribute shares", source: rdsSource, event: "ModifyDBSnapshotAttribute",
			req:  `{"dBSnapshotIdentifier":"exfiltration","attributeName":"restore","valuesToAdd":["193672423079"]}`,
			resp: `{"dBSnapshotIdentifier":"exfiltration","dBSnapshotAttributes":[{"attributeName":"restore","attributeValues":["193672423079"]}]}`,
			want: `set ` + id + ` restoreAttributes = {"193672423079":"193672423079"}`},
		{name: "ModifyDBSnapshotAttribute unshares", source: rdsSource, event: "ModifyDBSnapshotAttribute",
			req:  `{"dBSnapshotIdentifier":"exfiltration","valuesToRemove":["193672423079"],"attributeName":"restore"}`,
			resp: `{"dBSnapshotIdentifier":"exfiltration","dBSnapshotAttributes":[{"attributeName":"restore","attributeValues":[]}]}`,
			want: `set ` + id + ` restoreAttributes = {}`},
		{name: "ModifyDBSnapshotAttribute public, no response", source: rdsSource, event: "ModifyDBSnapshotAttribute",
			req: `{"dBSnapshotIdentifier":"exfiltration","attributeName":"restore","valuesToAdd":["all"],"valuesToRemove":["111122223333"]}`,
			want: `add ` + id + ` restoreAttributes.all = "all"
remove ` + id + ` restoreAttributes.111122223333`},
		{name: "ModifyDBSnapshotAttribute another attribute", source: rdsSource, event: "ModifyDBSnapshotAttribute", req: `{"dBSnapshotIdentifier":"exfiltration","attributeName":"other","valuesToAdd":["x"]}`},
		{name: "ModifyDBSnapshotAttribute without attribute", source: rdsSource, event: "ModifyDBSnapshotAttribute", req: `{"dBSnapshotIdentifier":"exfiltration","valuesToAdd":["all"]}`, wantErr: true},
		{name: "ModifyDBSnapshotAttribute without values", source: rdsSource, event: "ModifyDBSnapshotAttribute", req: `{"dBSnapshotIdentifier":"exfiltration","attributeName":"restore"}`, wantErr: true},
		{name: "ModifyDBSnapshotAttribute denied", source: rdsSource, event: "ModifyDBSnapshotAttribute", req: `{"dBSnapshotIdentifier":"exfiltration","attributeName":"restore","valuesToAdd":["all"]}`, errorCode: "AccessDenied"},
		{name: "DeleteDBSnapshot", source: rdsSource, event: "DeleteDBSnapshot", req: `{"dBSnapshotIdentifier":"exfiltration"}`, resp: `{"dBSnapshotIdentifier":"exfiltration","status":"deleted"}`,
			want: `delete ` + id},
		{name: "CreateDBClusterSnapshot", source: rdsSource, event: "CreateDBClusterSnapshot",
			req:  `{"dBClusterSnapshotIdentifier":"aurora-snap","dBClusterIdentifier":"aurora-cluster"}`,
			resp: `{"dBClusterSnapshotIdentifier":"aurora-snap","dBClusterIdentifier":"aurora-cluster","dBClusterSnapshotArn":"arn:aws:rds:us-east-1:123837392027:cluster-snapshot:aurora-snap","storageEncrypted":true,"kmsKeyId":"arn:aws:kms:us-east-1:123837392027:key/k","engine":"aurora-mysql","snapshotType":"manual","status":"creating"}`,
			want: `put us-east-1/AWS::RDS::DBClusterSnapshot/aurora-snap = {"dBClusterIdentifier":"aurora-cluster","dBClusterSnapshotIdentifier":"aurora-snap","encrypted":true,"engine":"aurora-mysql","kmsKeyId":"arn:aws:kms:us-east-1:123837392027:key/k","snapshotType":"manual","status":"creating"}`},
		{name: "CopyDBClusterSnapshot", source: rdsSource, event: "CopyDBClusterSnapshot",
			req:  `{"sourceDBClusterSnapshotIdentifier":"aurora-snap","targetDBClusterSnapshotIdentifier":"aurora-copy"}`,
			want: `put us-east-1/AWS::RDS::DBClusterSnapshot/aurora-copy = {"dBClusterSnapshotIdentifier":"aurora-copy","sourceDBClusterSnapshotIdentifier":"aurora-snap"}`},
		{name: "ModifyDBClusterSnapshotAttribute public", source: rdsSource, event: "ModifyDBClusterSnapshotAttribute",
			req:  `{"dBClusterSnapshotIdentifier":"aurora-snap","attributeName":"restore","valuesToAdd":["all"]}`,
			resp: `{"dBClusterSnapshotAttributesResult":{"dBClusterSnapshotIdentifier":"aurora-snap","dBClusterSnapshotAttributes":[{"attributeName":"restore","attributeValues":["all"]}]}}`,
			want: `set us-east-1/AWS::RDS::DBClusterSnapshot/aurora-snap restoreAttributes = {"all":"all"}`},
		{name: "DeleteDBClusterSnapshot", source: rdsSource, event: "DeleteDBClusterSnapshot", req: `{"dBClusterSnapshotIdentifier":"aurora-snap"}`,
			want: `delete us-east-1/AWS::RDS::DBClusterSnapshot/aurora-snap`},
	})
}

// TestRDSFailedDeleteTargets: a failed DeleteDBInstance is in the
// instance's timeline, and in no final snapshot's.
func TestRDSFailedDeleteTargets(t *testing.T) {
	e := record(t, rdsSource, "DeleteDBInstance", `{"dBInstanceIdentifier":"db1","skipFinalSnapshot":false,"finalDBSnapshotIdentifier":"db1-final"}`, "", "InvalidDBInstanceStateFault")
	got := Targets(e)
	if len(got) != 1 || got[0].Type != TypeDBInstance || got[0].ID != "db1" {
		t.Fatalf("targets %v", got)
	}
}
