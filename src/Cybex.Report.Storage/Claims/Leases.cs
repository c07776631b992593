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
    public const string Claimed = "claimed";
    public const string Expires = "expires";
    /// <summary>Claims of this TDQL whose work began (a claim re-made while its request only sat in the queue does not count).</summary>
    public const string Attempt = "attempt";
    /// <summary>Set when a consumer begins work under the claim: only then does a re-claim count as another attempt.</summary>
    public const string Started = "started";
    /// <summary>Set when the report is stored: the reply of this claim is still owed (taken once by the reply consumer).</summary>
    public const string Answered = "answered";
    /// <summary>When a reply consumer began sending the claim's nonce (the take); the lease goes once it is sent.</summary>
    public const string Sending = "sending";
    /// <summary>Why the last attempt of this TDQL failed, kept across re-claims for the give-up text.</summary>
    public const string LastError = "error";

    private static readonly FilterDefinitionBuilder<BsonDocument> F = Builders<BsonDocument>.Filter;

    public static FilterDefinition<BsonDocument> Of(string tdql, Guid claim) => F.Eq(Tdql, tdql) & F.Eq(ClaimId, Id(claim));

    /// <summary>Leases whose claim has run out: anyone may take them over.</summary>
    public static FilterDefinition<BsonDocument> ExpiredAt(Instant now) => F.Lt(Expires, now.ToDateTimeUtc());

    public static string Id(Guid claim) => claim.ToString("N");

    /// <summary>A new claim's lease: every field set, nothing of an earlier lease of the same TDQL kept.</summary>
    public static UpdateDefinition<BsonDocument> Fresh(LeaseIntent i) => Builders<BsonDocument>.Update
        .Set(Tdql, i.Claim.TdqlHash).Set(ClaimId, Id(i.Claim.ClaimId)).Set(Fingerprint, i.Fingerprint)
        .Set(Claimed, i.Claim.ClaimedAt.ToDateTimeUtc()).Set(Expires, i.Expires.ToDateTimeUtc())
        .Set(Attempt, i.Claim.Attempt).Set(Started, false).Set(Answered, false).Unset(LastError).Unset(Sending);
}
