package gen

// idKind is userIdentity.type.
type idKind uint8

const (
	idIAMUser idKind = iota
	idAssumedRole
	idAWSService
	idRoot
	idAWSAccount
	idWebIdentity
)

var idKindNames = [...]string{"IAMUser", "AssumedRole", "AWSService", "Root", "AWSAccount", "WebIdentityUser"}

// principal is an IAM user or role of the simulated organisation (or of an
// outsider).
type principal struct {
	name      string
	id        string // AIDA… for users, AROA… for roles
	arn       string
	account   string
	accessKey string // users: the long-term key they call with
	mfa       string // users: MFA device ARN, if any
	key       uint64 // a hash of arn, for deriving its sessions
}

// identity is one event's userIdentity. Session fields are byte slices into
// buffers owned by the event, so building one does not allocate.
type identity struct {
	kind      idKind
	p         *principal // the user, or the role that issued the session
	akid      []byte     // accessKeyId; nil omits it
	session   []byte     // role session name
	created   int64      // sessionContext.attributes.creationDate; 0: no sessionContext
	mfa       bool
	invokedBy string
	webFed    string // webIdFederationData.federatedProvider
	// For AWSAccount and WebIdentityUser callers.
	principalID string
	accountID   string
	userName    string
	idp         string
}

// event is one CloudTrail record under construction. Generators reset it,
// fill it, and append its JSON; slices point into scratch writers.
type event struct {
	version    string
	id         identity
	time       int64
	source     string
	name       string
	region     string
	ip         string
	ua         []byte
	errCode    string
	errMsg     []byte
	req        []byte // nil: null
	resp       []byte // nil: null
	extra      []byte // additionalEventData; nil omits it
	reqID      []byte // nil omits requestID
	readOnly   bool
	resources  []byte // a JSON array; nil omits it
	eventType  string
	apiVersion string
	data       bool // a data event: managementEvent false, eventCategory Data
	recipient  string
	shared     bool
	vpce       string
	host       []byte // tlsDetails.clientProvidedHostHeader; nil: no tlsDetails
	tls13      bool
	console    bool // sessionCredentialFromConsole

	uaBuf, hostBuf, reqIDBuf, akBuf, sessBuf, msgBuf []byte
}

func (e *event) reset(t int64, region, recipient string) {
	*e = event{
		time: t, region: region, recipient: recipient, eventType: "AwsApiCall",
		uaBuf: e.uaBuf[:0], hostBuf: e.hostBuf[:0], reqIDBuf: e.reqIDBuf[:0],
		akBuf: e.akBuf[:0], sessBuf: e.sessBuf[:0], msgBuf: e.msgBuf[:0],
	}
}

// setUA sets the user agent to s.
func (e *event) setUA(s string) {
	e.uaBuf = append(e.uaBuf[:0], s...)
	e.ua = e.uaBuf
}

// setHost sets the TLS host to prefix.region.amazonaws.com, or to
// prefix.amazonaws.com when region is empty.
func (e *event) setHost(prefix, region string) {
	b := append(e.hostBuf[:0], prefix...)
	if region != "" {
		b = append(b, '.')
		b = append(b, region...)
	}
	b = append(b, ".amazonaws.com"...)
	e.hostBuf, e.host = b, b
}

// newRequestID gives the event a UUID request ID and returns it.
func (e *event) newRequestID(r *rng) []byte {
	e.reqIDBuf = r.appendUUID(e.reqIDBuf[:0])
	e.reqID = e.reqIDBuf
	return e.reqID
}

// newS3RequestID gives the event an S3-style request ID (16 upper alnum).
func (e *event) newS3RequestID(r *rng) []byte {
	e.reqIDBuf = r.appendChars(e.reqIDBuf[:0], upperAlnum, 16)
	e.reqID = e.reqIDBuf
	return e.reqID
}

// callerARN appends the ARN the caller is known by in error messages.
func (e *event) appendCallerARN(b []byte) []byte {
	id := &e.id
	switch id.kind {
	case idAssumedRole:
		b = append(b, "arn:aws:sts::"...)
		b = append(b, id.p.account...)
		b = append(b, ":assumed-role/"...)
		b = append(b, id.p.name...)
		b = append(b, '/')
		return append(b, id.session...)
	case idRoot:
		b = append(b, "arn:aws:iam::"...)
		b = append(b, id.accountID...)
		return append(b, ":root"...)
	case idIAMUser:
		return append(b, id.p.arn...)
	}
	return append(b, id.principalID...)
}

// appendJSON appends e as one CloudTrail record. eventID comes from r.
func (e *event) appendJSON(b []byte, r *rng) []byte {
	b = append(b, `{"eventVersion":"`...)
	b = append(b, e.version...)
	b = append(b, `","userIdentity":`...)
	b = e.id.appendJSON(b)
	b = append(b, `,"eventTime":"`...)
	b = appendTime(b, e.time)
	b = append(b, `","eventSource":"`...)
	b = append(b, e.source...)
	b = append(b, `","eventName":"`...)
	b = append(b, e.name...)
	b = append(b, `","awsRegion":"`...)
	b = append(b, e.region...)
	b = append(b, `","sourceIPAddress":"`...)
	b = append(b, e.ip...)
	b = append(b, `","userAgent":`...)
	b = appendQuotedBytes(b, e.ua)
	if e.errCode != "" {
		b = append(b, `,"errorCode":"`...)
		b = append(b, e.errCode...)
		b = append(b, '"')
	}
	if e.errMsg != nil { // failed console sign-ins have a message but no code
		b = append(b, `,"errorMessage":`...)
		b = appendQuotedBytes(b, e.errMsg)
	}
	b = append(b, `,"requestParameters":`...)
	b = appendRaw(b, e.req)
	b = append(b, `,"responseElements":`...)
	b = appendRaw(b, e.resp)
	if e.extra != nil {
		b = append(b, `,"additionalEventData":`...)
		b = append(b, e.extra...)
	}
	if e.reqID != nil {
		b = append(b, `,"requestID":"`...)
		b = append(b, e.reqID...)
		b = append(b, '"')
	}
	b = append(b, `,"eventID":"`...)
	b = r.appendUUID(b)
	b = append(b, `","readOnly":`...)
	b = appendBool(b, e.readOnly)
	if e.resources != nil {
		b = append(b, `,"resources":`...)
		b = append(b, e.resources...)
	}
	b = append(b, `,"eventType":"`...)
	b = append(b, e.eventType...)
	b = append(b, '"')
	if e.apiVersion != "" {
		b = append(b, `,"apiVersion":"`...)
		b = append(b, e.apiVersion...)
		b = append(b, '"')
	}
	b = append(b, `,"managementEvent":`...)
	b = appendBool(b, !e.data)
	b = append(b, `,"recipientAccountId":"`...)
	b = append(b, e.recipient...)
	b = append(b, '"')
	if e.shared {
		b = append(b, `,"sharedEventID":"`...)
		b = r.appendUUID(b)
		b = append(b, '"')
	}
	if e.vpce != "" {
		b = append(b, `,"vpcEndpointId":"`...)
		b = append(b, e.vpce...)
		b = append(b, '"')
	}
	if e.data {
		b = append(b, `,"eventCategory":"Data"`...)
	} else {
		b = append(b, `,"eventCategory":"Management"`...)
	}
	if e.host != nil {
		if e.tls13 {
			b = append(b, `,"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":`...)
		} else {
			b = append(b, `,"tlsDetails":{"tlsVersion":"TLSv1.2","cipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","clientProvidedHostHeader":`...)
		}
		b = appendQuotedBytes(b, e.host)
		b = append(b, '}')
	}
	if e.console {
		b = append(b, `,"sessionCredentialFromConsole":"true"`...)
	}
	return append(b, '}')
}

func appendRaw(b, raw []byte) []byte {
	if raw == nil {
		return append(b, "null"...)
	}
	return append(b, raw...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

func (id *identity) appendJSON(b []byte) []byte {
	b = append(b, `{"type":"`...)
	b = append(b, idKindNames[id.kind]...)
	b = append(b, '"')
	switch id.kind {
	case idAWSService:
		b = append(b, `,"invokedBy":"`...)
		b = append(b, id.invokedBy...)
		return append(b, `"}`...)
	case idAWSAccount:
		b = append(b, `,"principalId":"`...)
		b = append(b, id.principalID...)
		b = append(b, `","accountId":"`...)
		b = append(b, id.accountID...)
		b = append(b, '"')
		if id.invokedBy != "" {
			b = append(b, `,"invokedBy":"`...)
			b = append(b, id.invokedBy...)
			b = append(b, '"')
		}
		return append(b, '}')
	case idWebIdentity:
		b = append(b, `,"principalId":`...)
		b = appendQuoted(b, id.principalID)
		b = append(b, `,"userName":`...)
		b = appendQuoted(b, id.userName)
		b = append(b, `,"identityProvider":"`...)
		b = append(b, id.idp...)
		return append(b, `"}`...)
	case idRoot:
		b = append(b, `,"principalId":"`...)
		b = append(b, id.accountID...)
		b = append(b, `","arn":"arn:aws:iam::`...)
		b = append(b, id.accountID...)
		b = append(b, `:root","accountId":"`...)
		b = append(b, id.accountID...)
		b = append(b, '"')
	case idAssumedRole:
		p := id.p
		b = append(b, `,"principalId":"`...)
		b = append(b, p.id...)
		b = append(b, ':')
		b = append(b, id.session...)
		b = append(b, `","arn":"arn:aws:sts::`...)
		b = append(b, p.account...)
		b = append(b, `:assumed-role/`...)
		b = append(b, p.name...)
		b = append(b, '/')
		b = append(b, id.session...)
		b = append(b, `","accountId":"`...)
		b = append(b, p.account...)
		b = append(b, '"')
	case idIAMUser:
		p := id.p
		if p.id != "" { // unknown user names (failed sign-ins) have no id
			b = append(b, `,"principalId":"`...)
			b = append(b, p.id...)
			b = append(b, `","arn":"`...)
			b = append(b, p.arn...)
			b = append(b, '"')
		}
		b = append(b, `,"accountId":"`...)
		b = append(b, p.account...)
		b = append(b, '"')
	}
	if id.akid != nil {
		b = append(b, `,"accessKeyId":"`...)
		b = append(b, id.akid...)
		b = append(b, '"')
	}
	if id.kind == idIAMUser {
		b = append(b, `,"userName":"`...)
		b = append(b, id.p.name...)
		b = append(b, '"')
	}
	if id.created != 0 {
		b = append(b, `,"sessionContext":{"sessionIssuer":{`...)
		if id.kind == idAssumedRole {
			p := id.p
			b = append(b, `"type":"Role","principalId":"`...)
			b = append(b, p.id...)
			b = append(b, `","arn":"`...)
			b = append(b, p.arn...)
			b = append(b, `","accountId":"`...)
			b = append(b, p.account...)
			b = append(b, `","userName":"`...)
			b = append(b, p.name...)
			b = append(b, '"')
		}
		b = append(b, `},"webIdFederationData":{`...)
		if id.webFed != "" {
			b = append(b, `"federatedProvider":"`...)
			b = append(b, id.webFed...)
			b = append(b, `","attributes":{}`...)
		}
		b = append(b, `},"attributes":{"creationDate":"`...)
		b = appendTime(b, id.created)
		b = append(b, `","mfaAuthenticated":"`...)
		b = appendBool(b, id.mfa)
		b = append(b, `"}}`...)
	}
	if id.invokedBy != "" {
		b = append(b, `,"invokedBy":"`...)
		b = append(b, id.invokedBy...)
		b = append(b, '"')
	}
	return append(b, '}')
}
