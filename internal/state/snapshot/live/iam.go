package live

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// authorizationDetails reads every page of GetAccountAuthorizationDetails
// into {"UserDetailList", "GroupDetailList", "RoleDetailList",
// "Policies"}, with every policy document decoded from its URL encoding
// into a JSON object, as the CLI prints them.
func authorizationDetails(ctx context.Context, client *iam.Client) (json.RawMessage, error) {
	all := iam.GetAccountAuthorizationDetailsOutput{
		UserDetailList:  []types.UserDetail{},
		GroupDetailList: []types.GroupDetail{},
		RoleDetailList:  []types.RoleDetail{},
		Policies:        []types.ManagedPolicyDetail{},
	}
	p := iam.NewGetAccountAuthorizationDetailsPaginator(client, &iam.GetAccountAuthorizationDetailsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.UserDetailList = append(all.UserDetailList, page.UserDetailList...)
		all.GroupDetailList = append(all.GroupDetailList, page.GroupDetailList...)
		all.RoleDetailList = append(all.RoleDetailList, page.RoleDetailList...)
		all.Policies = append(all.Policies, page.Policies...)
	}
	tree := cliTree(&all, "IsTruncated")
	decodePolicies(tree)
	return json.Marshal(tree)
}
