using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Cybex.Report.Testing;

/// <summary>Tokens as the CYBEX-P API issues them at login: HS256 with the identity secret, payload <c>sub_type</c>, <c>_hash</c>, <c>jti</c>.</summary>
public static class ApiTokens
{
    public static string Issue(string secret, string userHash, string subType = "cybexp_user", DateTime? expires = null) =>
        Create(userHash, subType, expires, new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256));

    /// <summary>The same payload with <c>alg: none</c> and no signature: what a forger sends hoping nobody checks.</summary>
    public static string Unsigned(string userHash) => Create(userHash, "cybexp_user", null, null);

    private static string Create(string userHash, string subType, DateTime? expires, SigningCredentials? credentials)
    {
        var claims = new Dictionary<string, object> { ["sub_type"] = subType, ["_hash"] = userHash, ["jti"] = Guid.NewGuid().ToString("N") };
        if (expires is { } at) claims["exp"] = new DateTimeOffset(at).ToUnixTimeSeconds();
        var descriptor = new SecurityTokenDescriptor { Claims = claims, SigningCredentials = credentials };
        // The API's tokens carry no iat/nbf/exp unless asked; the handler would add them by default.
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }
}
