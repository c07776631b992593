using System.Text;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Worker.Options;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Cybex.Report.Worker.Querying;

/// <summary>
/// Verifies a CYBEX-P user token as the API does (PyJWT, <c>algorithms=['HS256']</c>, the identity secret): the
/// signature, HS256 and nothing else (no <c>none</c>, no key confusion), the expiry when the token has one, and a
/// <c>_hash</c> claim that is a user's hash. Issuer and audience are not checked because the API sets neither.
/// </summary>
public sealed class UserTokens
{
    /// <summary>RFC 7518 §3.2: an HS256 key must be at least as long as the hash, 256 bits.</summary>
    public const int MinimumSecretBytes = 32;

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters? _parameters;

    public UserTokens(IOptions<QueryOptions> options)
    {
        if (options.Value.TokenSecretFile is { Length: > 0 } file && TryLoadSecret(file, out var secret, out _))
        {
            _parameters = new TokenValidationParameters
            {
                IssuerSigningKey = new SymmetricSecurityKey(secret),
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                ValidateIssuer = false,
                ValidateAudience = false,
                ValidateLifetime = true,
                RequireExpirationTime = false,
                RequireSignedTokens = true,
                ClockSkew = TimeSpan.FromSeconds(30),
            };
        }
    }

    /// <summary>False when no secret is configured: tokens cannot be verified, so none is accepted.</summary>
    public bool Enabled => _parameters is not null;

    /// <summary>The user hash the token was issued for, or the reason it is refused.</summary>
    public async Task<(string? User, string? Refusal)> VerifyAsync(string token)
    {
        if (_parameters is null) return (null, "this worker verifies no user tokens (Queries:TokenSecretFile is not set)");
        if (token.Length > 8 * 1024) return (null, "the token is refused: longer than 8 KiB");
        var result = await _handler.ValidateTokenAsync(token, _parameters);
        if (!result.IsValid) return (null, $"the token is refused: {Describe(result.Exception)}");
        return result.Claims.TryGetValue("_hash", out var hash) && hash is string user && TdqlHashes.IsValid(user)
            ? (user, null)
            : (null, "the token is refused: its _hash is not a user's hash");
    }

    /// <summary>A reason a publisher can act on, without echoing the token or the library's full diagnostic.</summary>
    private static string Describe(Exception? e) => e switch
    {
        SecurityTokenExpiredException => "it has expired",
        SecurityTokenInvalidAlgorithmException => "it is not signed with HS256",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "its signature does not verify",
        SecurityTokenNotYetValidException => "it is not valid yet",
        SecurityTokenMalformedException => "it is not a JWT",
        _ => "it does not verify",
    };

    /// <summary>Reads the secret file as the API's config holds the secret: its text, without a trailing newline.</summary>
    public static bool TryLoadSecret(string file, out byte[] secret, out string? error)
    {
        secret = [];
        try
        {
            secret = Encoding.UTF8.GetBytes(File.ReadAllText(file).TrimEnd('\r', '\n'));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"Queries:TokenSecretFile {file} cannot be read: {e.Message}";
            return false;
        }
        if (secret.Length < MinimumSecretBytes)
        {
            error = $"Queries:TokenSecretFile {file} holds {secret.Length} bytes; an HS256 secret needs at least {MinimumSecretBytes} " +
                    "(RFC 7518 §3.2): a short one is guessed from any one token offline. Give the API a longer secret.";
            return false;
        }
        error = null;
        return true;
    }
}
