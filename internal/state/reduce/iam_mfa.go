package reduce

import (
	"strings"
	"time"

	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeVirtualMFADevice is the resource type of an IAM virtual MFA device.
// Its ID is its serial number, the device's ARN
// (arn:aws:iam::123456789012:mfa/name), which is how EnableMFADevice and
// the user's mfaDevices set name it.
//
// State: serialNumber, virtualMFADeviceName, path, tags, and user (the
// name of the user it is enabled for, while it is). The seed and QR code
// are never kept.
//
// Hardware and FIDO devices are not resources of their own: they appear
// only in their user's mfaDevices set. The root user's devices are skipped
// (the root user is not an IAM user).
const TypeVirtualMFADevice = "AWS::IAM::VirtualMFADevice"

func init() {
	d := iamByName(TypeVirtualMFADevice, "serialNumber")
	register(iamSource, map[string]reducer{
		"EnableMFADevice":        mfaDevice(state.OpAdd),
		"DeactivateMFADevice":    mfaDevice(state.OpRemove),
		"ResyncMFADevice":        mfaDevice(state.OpSet),
		"CreateVirtualMFADevice": createVirtualMFADevice,
		"DeleteVirtualMFADevice": iamDelete(d),
		"TagMFADevice":           iamTag(d),
		"UntagMFADevice":         iamUntag(d),
	})
}

// mfaDevice changes the user's mfaDevices set: OpAdd enables the device
// ({enabledAt}: the event time), OpRemove deactivates it and OpSet records
// a resync (resyncedAt), which also shows a device enabled before the
// trail began. Enabling or deactivating a virtual device also sets or
// unsets the device's user.
func mfaDevice(op state.Op) reducer {
	return iamOn(userTarget(), func(c *call, r state.ResourceID) ([]state.Change, error) {
		serial, err := iamReq(c, "serialNumber")
		if err != nil {
			return nil, err
		}
		at := c.e.Time.UTC().Format(time.RFC3339)
		var out []state.Change
		switch op {
		case state.OpAdd:
			out = append(out, state.Change{Resource: r, Op: op, Path: []string{"mfaDevices", serial}, Value: map[string]any{"enabledAt": at}})
		case state.OpRemove:
			out = append(out, state.Change{Resource: r, Op: op, Path: []string{"mfaDevices", serial}})
		default:
			return []state.Change{{Resource: r, Op: state.OpSet, Path: []string{"mfaDevices", serial, "resyncedAt"}, Value: at}}, nil
		}
		if isVirtualMFA(serial) {
			d := iamID(c, TypeVirtualMFADevice, serial)
			d.ARN = serial
			if op == state.OpAdd {
				out = append(out, state.Change{Resource: d, Op: state.OpSet, Path: []string{"user"}, Value: r.ID})
			} else {
				out = append(out, state.Change{Resource: d, Op: state.OpUnset, Path: []string{"user"}})
			}
		}
		return out, nil
	})
}

// isVirtualMFA reports whether serial is a virtual device's ARN (hardware
// devices have plain serial numbers; FIDO keys are arn:...:u2f/...).
func isVirtualMFA(serial string) bool {
	return strings.HasPrefix(serial, "arn:") && strings.Contains(serial, ":mfa/")
}

// createVirtualMFADevice creates the device. Its serial number comes from
// the response; without one it is built from the request's path and name.
func createVirtualMFADevice(c *call) ([]state.Change, error) {
	name := str(c.req, "virtualMFADeviceName")
	serial := str(c.resp, "virtualMFADevice", "serialNumber")
	if serial == "" {
		if name == "" {
			return nil, c.errorf("no requestParameters.virtualMFADeviceName or responseElements.virtualMFADevice.serialNumber")
		}
		serial = "arn:" + iamPartition(c.e.Region) + ":iam::" + c.e.Account + ":mfa" + firstNonEmpty(str(c.req, "path"), "/") + name
	}
	if name == "" {
		name = serial[strings.LastIndexByte(serial, '/')+1:]
	}
	r := iamID(c, TypeVirtualMFADevice, serial)
	s := map[string]any{"serialNumber": serial, "virtualMFADeviceName": name, "path": firstNonEmpty(str(c.req, "path"), "/")}
	if isVirtualMFA(serial) {
		r.ARN = serial
	}
	if t := iamCreationTags(c, "virtualMFADevice"); t != nil {
		s["tags"] = t
	}
	return []state.Change{{Resource: r, Op: state.OpPut, Value: s}}, nil
}
