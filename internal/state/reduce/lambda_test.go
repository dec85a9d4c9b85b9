package reduce

import "testing"

const lambdaSource = "lambda.amazonaws.com"

func TestReduceLambdaFunctions(t *testing.T) {
	const (
		fn  = "arn:aws:lambda:us-east-1:123837392027:function:backdoor-f-func"
		id  = "us-east-1/AWS::Lambda::Function/backdoor-f-func"
		cfg = `"functionName":"backdoor-f-func","functionArn":"` + fn + `","runtime":"nodejs18.x","role":"arn:aws:iam::123837392027:role/backdoor-f-lambda","handler":"index.test","codeSize":289,"description":"","timeout":3,"memorySize":128,"lastModified":"2023-07-10T12:25:32.895+0000","codeSha256":"6mU00z0AtY615GKqrB2BcmV8gc8FQJReR64GOMZi2pM=","version":"$LATEST","tracingConfig":{"mode":"PassThrough"},"revisionId":"ff26403f","state":"Pending","packageType":"Zip","architectures":["x86_64"],"ephemeralStorage":{"size":512}`
	)
	runCases(t, []reduceCase{
		{name: "CreateFunction", source: lambdaSource, event: "CreateFunction20150331",
			req:  `{"functionName":"backdoor-f-func","runtime":"nodejs18.x","role":"arn:aws:iam::123837392027:role/backdoor-f-lambda","handler":"index.test","code":{"s3Bucket":"backdoor-f-bucket","s3Key":"index.zip"},"description":"","timeout":3,"memorySize":128,"publish":false,"packageType":"Zip","environment":{},"tags":{"StratusRedTeam":"true"}}`,
			resp: `{` + cfg + `,"environment":{}}`,
			want: `put ` + id + ` = {"codeSha256":"6mU00z0AtY615GKqrB2BcmV8gc8FQJReR64GOMZi2pM=","environmentKeys":[],"functionArn":"` + fn + `","functionName":"backdoor-f-func","handler":"index.test","memorySize":128,"role":"arn:aws:iam::123837392027:role/backdoor-f-lambda","runtime":"nodejs18.x","tags":{"StratusRedTeam":"true"},"timeout":3}`},
		{name: "CreateFunction in a VPC with layers and variables, no response", source: lambdaSource, event: "CreateFunction20150331",
			req:  `{"functionName":"etl","runtime":"python3.12","role":"arn:aws:iam::123837392027:role/etl","handler":"app.handler","code":{},"layers":["arn:aws:lambda:us-east-1:999999999999:layer:ext:3"],"vpcConfig":{"subnetIds":["subnet-b","subnet-a"],"securityGroupIds":["sg-1"]},"environment":{"variables":{"DB_PASSWORD":"hunter2","AWS_LAMBDA_EXEC_WRAPPER":"/opt/w"}}}`,
			want: `put us-east-1/AWS::Lambda::Function/etl = {"environmentKeys":["AWS_LAMBDA_EXEC_WRAPPER","DB_PASSWORD"],"functionName":"etl","handler":"app.handler","layers":["arn:aws:lambda:us-east-1:999999999999:layer:ext:3"],"role":"arn:aws:iam::123837392027:role/etl","runtime":"python3.12","vpcConfig":{"securityGroupIds":["sg-1"],"subnetIds":["subnet-a","subnet-b"]}}`},
		{name: "CreateFunction without a name", source: lambdaSource, event: "CreateFunction20150331", req: `{"runtime":"python3.12"}`, wantErr: true},
		{name: "CreateFunction failed", source: lambdaSource, event: "CreateFunction20150331", req: `{"functionName":"olc-func","runtime":"python3.9"}`, errorCode: "InvalidParameterValueException"},
		{name: "UpdateFunctionConfiguration role and layers", source: lambdaSource, event: "UpdateFunctionConfiguration20150331v2",
			req:  `{"functionName":"backdoor-f-func","role":"arn:aws:iam::123837392027:role/backdoor-f-lambda","layers":["arn:aws:lambda:us-east-1:999999999999:layer:ext:3"],"environment":{"variables":"***"}}`,
			resp: `{` + cfg + `,"layers":[{"arn":"arn:aws:lambda:us-east-1:999999999999:layer:ext:3","codeSize":100}],"environment":{"variables":{"K":"***"}}}`,
			want: `set ` + id + ` codeSha256 = "6mU00z0AtY615GKqrB2BcmV8gc8FQJReR64GOMZi2pM="
set ` + id + ` environmentKeys = ["K"]
set ` + id + ` functionArn = "` + fn + `"
set ` + id + ` handler = "index.test"
set ` + id + ` layers = ["arn:aws:lambda:us-east-1:999999999999:layer:ext:3"]
set ` + id + ` memorySize = 128
set ` + id + ` role = "arn:aws:iam::123837392027:role/backdoor-f-lambda"
set ` + id + ` runtime = "nodejs18.x"
set ` + id + ` timeout = 3`},
		{name: "UpdateFunctionConfiguration request only", source: lambdaSource, event: "UpdateFunctionConfiguration20150331v2",
			req: `{"functionName":"` + fn + `","timeout":900,"vpcConfig":{"subnetIds":[],"securityGroupIds":[]}}`,
			want: `set ` + id + ` functionArn = "` + fn + `"
set ` + id + ` timeout = 900
set ` + id + ` vpcConfig = {"securityGroupIds":[],"subnetIds":[]}`},
		{name: "UpdateFunctionCode published", source: lambdaSource, event: "UpdateFunctionCode20150331v2",
			req:  `{"fullyQualifiedArn":{"arnPrefix":{"partition":"aws","region":"us-east-1","account":"123837392027"},"relativeId":{"functionName":"olc-func"},"functionQualifier":{}},"functionName":"arn:aws:lambda:us-east-1:123837392027:function:olc-func","publish":true,"dryRun":false}`,
			resp: `{"functionName":"olc-func","functionArn":"arn:aws:lambda:us-east-1:123837392027:function:olc-func:1","codeSha256":"Pt1c8vVaBygmNtAeSyjlpdy7r8nHRqJAAL++HEGlQkc=","version":"1"}`,
			want: `set us-east-1/AWS::Lambda::Function/olc-func codeSha256 = "Pt1c8vVaBygmNtAeSyjlpdy7r8nHRqJAAL++HEGlQkc="`},
		{name: "UpdateFunctionCode without response", source: lambdaSource, event: "UpdateFunctionCode20150331v2", req: `{"functionName":"olc-func","zipFile":"<sensitiveDataRemoved>"}`,
			want: `unset us-east-1/AWS::Lambda::Function/olc-func codeSha256`},
		{name: "UpdateFunctionCode of another region's function", source: lambdaSource, event: "UpdateFunctionCode20150331v2", req: `{"functionName":"arn:aws:lambda:eu-west-1:111122223333:function:far:prod"}`,
			want: `unset eu-west-1/AWS::Lambda::Function/far codeSha256`},
		{name: "AddPermission to anyone", source: lambdaSource, event: "AddPermission20150331v2",
			req:  `{"functionName":"backdoor-f-func","statementId":"backdoor","action":"lambda:InvokeFunction","principal":"*"}`,
			resp: `{"statement":"{\"Sid\":\"backdoor\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"lambda:InvokeFunction\",\"Resource\":\"` + fn + `\"}"}`,
			want: `add ` + id + ` permissions.backdoor = {"action":"lambda:InvokeFunction","principal":"*"}`},
		{name: "AddPermission for a URL on an alias", source: lambdaSource, event: "AddPermission20150331v2",
			req:  `{"functionName":"backdoor-f-func","statementId":"url","action":"lambda:InvokeFunctionUrl","principal":"*","functionUrlAuthType":"NONE","qualifier":"live"}`,
			want: `add ` + id + ` permissions.live:url = {"action":"lambda:InvokeFunctionUrl","functionUrlAuthType":"NONE","principal":"*","qualifier":"live"}`},
		{name: "AddPermission on a version named in functionName", source: lambdaSource, event: "AddPermission20150331",
			req:  `{"functionName":"myfunction:7","statementId":"s3","action":"lambda:InvokeFunction","principal":"s3.amazonaws.com","sourceArn":"arn:aws:s3:::ctes-bucket","sourceAccount":"123837392027"}`,
			want: `add us-east-1/AWS::Lambda::Function/myfunction permissions.7:s3 = {"action":"lambda:InvokeFunction","principal":"s3.amazonaws.com","qualifier":"7","sourceAccount":"123837392027","sourceArn":"arn:aws:s3:::ctes-bucket"}`},
		{name: "RemovePermission from a version by partial ARN", source: lambdaSource, event: "RemovePermission20150331",
			req:  `{"functionName":"123837392027:function:myfunction:7","statementId":"s3"}`,
			want: `remove us-east-1/AWS::Lambda::Function/myfunction permissions.7:s3`},
		{name: "AddPermission without statement", source: lambdaSource, event: "AddPermission20150331v2", req: `{"functionName":"backdoor-f-func","action":"lambda:InvokeFunction"}`, wantErr: true},
		{name: "RemovePermission", source: lambdaSource, event: "RemovePermission20150331v2", req: `{"functionName":"backdoor-f-func","statementId":"backdoor"}`,
			want: `remove ` + id + ` permissions.backdoor`},
		{name: "TagResource", source: lambdaSource, event: "TagResource20170331v2", req: `{"resource":"` + fn + `","tags":{"owner":"ops","cost":7}}`,
			want: `set ` + id + ` tags.cost = "7"
set ` + id + ` tags.owner = "ops"`},
		{name: "TagResource of an event source mapping", source: lambdaSource, event: "TagResource20170331v2",
			req: `{"resource":"arn:aws:lambda:us-east-1:123837392027:event-source-mapping:a1b2","tags":{"k":"v"}}`},
		{name: "TagResource without tags", source: lambdaSource, event: "TagResource20170331v2", req: `{"resource":"` + fn + `"}`, wantErr: true},
		{name: "UntagResource", source: lambdaSource, event: "UntagResource20170331v2", req: `{"resource":"` + fn + `","tagKeys":["owner"]}`,
			want: `unset ` + id + ` tags.owner`},
		{name: "CreateFunctionUrlConfig public", source: lambdaSource, event: "CreateFunctionUrlConfig20211031",
			req:  `{"functionName":"backdoor-f-func","authType":"NONE"}`,
			resp: `{"functionUrl":"https://abc.lambda-url.us-east-1.on.aws/","functionArn":"` + fn + `","authType":"NONE","creationTime":"2023-07-10T12:25:40.000Z"}`,
			want: `set ` + id + ` functionUrl.authType = "NONE"
set ` + id + ` functionUrl.url = "https://abc.lambda-url.us-east-1.on.aws/"`},
		{name: "UpdateFunctionUrlConfig to IAM", source: lambdaSource, event: "UpdateFunctionUrlConfig20211031", req: `{"functionName":"backdoor-f-func","authType":"AWS_IAM"}`,
			want: `set ` + id + ` functionUrl.authType = "AWS_IAM"`},
		{name: "UpdateFunctionUrlConfig without authType", source: lambdaSource, event: "UpdateFunctionUrlConfig20211031", req: `{"functionName":"backdoor-f-func","cors":{}}`, wantErr: true},
		{name: "DeleteFunctionUrlConfig", source: lambdaSource, event: "DeleteFunctionUrlConfig20211031", req: `{"functionName":"backdoor-f-func"}`,
			want: `unset ` + id + ` functionUrl`},
		{name: "DeleteFunction", source: lambdaSource, event: "DeleteFunction20150331", req: `{"functionName":"backdoor-f-func"}`,
			want: `delete ` + id},
		{name: "DeleteFunction version", source: lambdaSource, event: "DeleteFunction20150331", req: `{"functionName":"backdoor-f-func","qualifier":"3"}`},
		{name: "DeleteFunction version in the ARN", source: lambdaSource, event: "DeleteFunction20150331", req: `{"functionName":"` + fn + `:3"}`},
		{name: "DeleteFunction denied", source: lambdaSource, event: "DeleteFunction20150331", req: `{"functionName":"backdoor-f-func"}`, errorCode: "AccessDeniedException"},
	})
}
