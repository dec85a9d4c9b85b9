package integrity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
)

// FetchPublicKeys asks CloudTrail's ListPublicKeys for the keys that signed
// digests between start and end, following every page. CloudTrail signs
// with a key pair per region: the keys come from the client's region, or
// from each of regions when given (a multi-region trail needs the keys of
// every region its digests were written in). A zero start or end leaves
// that bound to CloudTrail, which then means now: with both zero only the
// current key is returned.
//
// A key CloudTrail returns malformed is a *KeyError; two different keys
// under one fingerprint are refused, as LoadPublicKeys refuses them.
func FetchPublicKeys(ctx context.Context, client *cloudtrail.Client, start, end time.Time, regions ...string) (*KeySet, error) {
	in := &cloudtrail.ListPublicKeysInput{}
	if !start.IsZero() {
		in.StartTime = aws.Time(start.UTC())
	}
	if !end.IsZero() {
		in.EndTime = aws.Time(end.UTC())
	}
	if len(regions) == 0 {
		regions = []string{""}
	}
	set := NewKeySet()
	index := 0
	for _, region := range regions {
		var opts []func(*cloudtrail.Options)
		where := client.Options().Region
		if region != "" {
			opts = append(opts, func(o *cloudtrail.Options) { o.Region = region })
			where = region
		}
		pages := cloudtrail.NewListPublicKeysPaginator(client, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx, opts...)
			if err != nil {
				return nil, fmt.Errorf("list CloudTrail public keys in %s: %w", where, err)
			}
			for _, pk := range page.PublicKeyList {
				k, err := publicKeyFromAPI(pk.Fingerprint, pk.Value, pk.ValidityStartTime, pk.ValidityEndTime)
				if err != nil {
					err.Index = index
					return nil, fmt.Errorf("list CloudTrail public keys in %s: %w", where, err)
				}
				if old, dup := set.Lookup(k.Fingerprint); dup && !old.Key.Equal(k.Key) {
					return nil, fmt.Errorf("list CloudTrail public keys in %s: %w", where, &KeyError{
						Index: index, Field: "Fingerprint", Err: fmt.Errorf("%s names two different keys", k.Fingerprint)})
				}
				set.byFingerprint[strings.ToLower(k.Fingerprint)] = k
				index++
			}
		}
	}
	return set, nil
}

// publicKeyFromAPI checks one PublicKey of ListPublicKeys (Value is the
// DER the SDK decoded from base64).
func publicKeyFromAPI(fingerprint *string, der []byte, start, end *time.Time) (*PublicKey, *KeyError) {
	if aws.ToString(fingerprint) == "" {
		return nil, &KeyError{Field: "Fingerprint", Err: errors.New("missing")}
	}
	if len(der) == 0 {
		return nil, &KeyError{Field: "Value", Err: errors.New("missing")}
	}
	pub, err := ParsePublicKeyDER(der)
	if err != nil {
		return nil, &KeyError{Field: "Value", Err: err}
	}
	k := &PublicKey{Fingerprint: *fingerprint, Key: pub}
	if start != nil {
		k.ValidityStart = start.UTC()
	}
	if end != nil {
		k.ValidityEnd = end.UTC()
	}
	return k, nil
}
