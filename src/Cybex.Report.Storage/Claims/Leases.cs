using Cybex.Report.Domain.Claims;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;

namespace Cybex.Report.Storage.Claims;

/// <summary>
/// The lease document in <c>report_db.report_leases</c>: which claim holds a TDQL until when, on which attempt, and
/// whether its report is stored and the reply still to be sent.
/// </summary>
public static class Leases
{
    public const string Tdql = "tdql";
    public const string ClaimId = "claim";
    public const string Fingerprint = "fp";
    /// <summary>The key of the socket the claim was made for: only a reply to it is the claim's to send.</summary>
    public const string Socket = "socket";
    /// <summary>The user the TDQL is for: claims made and not answered are counted per user (fair claiming).</summary>
    public const string User = "user";
    public const string Claimed = "claimed";
    public const string Expires = "expires";
    /// <summary>Moved on by every write, so a write made on a lease as read fails once anyone has written it since.</summary>
    public const string Version = "v";
    /// <summary>Claims of this TDQL whose work began (a claim re-made while its request only sat in the queue does not count).</summary>
    public const string Attempt = "attempt";
    /// <summary>Set when a consumer begins work under the claim: only then does a re-claim count as another attempt.</summary>
    public const string Started = "started";
    /// <summary>Set by the commit check: the claim may store its report, and the reply of the answer is owed under it.</summary>
    public const string Answered = "answered";
    /// <summary>Until when a reply consumer holds the reply it took (renewed while it sends); the lease goes once it is sent.</summary>
    public const string SendingUntil = "sending_until";
    /// <summary>Why the last attempt of this TDQL failed, kept across re-claims for the give-up text.</summary>
    public const string LastError = "error";

    private static readonly FilterDefinitionBuilder<BsonDocument> F = Builders<BsonDocument>.Filter;

    public static FilterDefinition<BsonDocument> Of(string tdql, Guid claim) => F.Eq(Tdql, tdql) & F.Eq(ClaimId, Id(claim));

    /// <summary>Leases whose claim has run out: anyone may take them over.</summary>
    public static FilterDefinition<BsonDocument> ExpiredAt(Instant now) => F.Lt(Expires, now.ToDateTimeUtc());

    public static string Id(Guid claim) => claim.ToString("N");

    /// <summary>A new claim's lease: every field set, nothing of an earlier lease of the same TDQL kept.</summary>
    public static UpdateDefinition<BsonDocument> Fresh(LeaseIntent i) => Builders<BsonDocument>.Update
        .Set(Tdql, i.Claim.TdqlHash).Set(ClaimId, Id(i.Claim.ClaimId)).Set(Fingerprint, i.Fingerprint).Set(Socket, i.Socket).Set(User, i.User)
        .Set(Claimed, i.Claim.ClaimedAt.ToDateTimeUtc()).Set(Expires, i.Expires.ToDateTimeUtc())
        .Set(Attempt, i.Claim.Attempt).Set(Started, false).Set(Answered, false).Unset(LastError).Unset(SendingUntil).Inc(Version, 1L);

    /// <summary>
    /// A lease document as the protocol reads it. The collection is the worker's own, but a document may still be
    /// damaged or left by an older build: what cannot be read is taken at its most cautious (no claim, started,
    /// expired long ago), so the protocol drops or takes it over instead of tripping on it.
    /// </summary>
    public static Lease? Read(BsonDocument? d)
    {
        if (d is null) return null;
        static Instant At(BsonValue v) => v is BsonDateTime t ? Instant.FromDateTimeUtc(t.ToUniversalTime()) : Instant.MinValue;
        var error = d.GetValue(LastError, BsonNull.Value);
        return new Lease(
            d["_id"],
            d.GetValue(Tdql, BsonNull.Value) is BsonString s ? s.Value : "",
            Guid.TryParse(d.GetValue(ClaimId, BsonNull.Value) is BsonString c ? c.Value : "", out var claim) ? claim : null,
            d.GetValue(Version, BsonNull.Value) is { IsNumeric: true } v ? v.ToInt64() : 0,
            At(d.GetValue(Claimed, BsonNull.Value)),
            At(d.GetValue(Expires, BsonNull.Value)),
            d.GetValue(Attempt, BsonNull.Value) is { IsNumeric: true } a ? (int)Math.Clamp(a.ToInt64(), 1, 1000) : 1,
            d.GetValue(Started, BsonNull.Value) is not BsonBoolean { Value: false },
            d.GetValue(Answered, BsonNull.Value) is BsonBoolean { Value: true },
            error.IsString ? error.AsString : null,
            d.GetValue(Socket, BsonNull.Value) is BsonString k ? k.Value : null);
    }
}
