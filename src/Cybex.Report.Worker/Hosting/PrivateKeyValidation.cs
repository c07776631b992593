using Cybex.Report.Worker.Options;
using Microsoft.Extensions.Options;

namespace Cybex.Report.Worker.Hosting;

/// <summary>Checks the private key at start, so a key that cannot work stops the worker with a message naming the file.</summary>
internal sealed class PrivateKeyValidation : IValidateOptions<KeyOptions>
{
    public ValidateOptionsResult Validate(string? name, KeyOptions options) =>
        PrivateKey.TryLoad(options, out _, out var error) ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(error!);
}
