using Cybex.Report.Worker.Options;
using Microsoft.Extensions.Options;

namespace Cybex.Report.Worker.Querying;

/// <summary>Checks the token secret at start, so a secret that cannot work stops the worker with a message naming the file.</summary>
internal sealed class TokenSecretValidation : IValidateOptions<QueryOptions>
{
    public ValidateOptionsResult Validate(string? name, QueryOptions options) =>
        options.TokenSecretFile is not { Length: > 0 } file || UserTokens.TryLoadSecret(file, out _, out var error)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(error!);
}
