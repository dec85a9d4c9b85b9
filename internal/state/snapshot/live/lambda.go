package live

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// listFunctions reads every page of ListFunctions into
// {"Functions": [...]} (the latest version of each function, as the CLI
// lists them by default).
func listFunctions(ctx context.Context, client *lambda.Client) (json.RawMessage, error) {
	all := lambda.ListFunctionsOutput{Functions: []types.FunctionConfiguration{}}
	p := lambda.NewListFunctionsPaginator(client, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.Functions = append(all.Functions, page.Functions...)
	}
	return cliJSON(&all)
}
