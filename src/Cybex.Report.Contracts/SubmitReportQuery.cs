namespace Cybex.Report.Contracts;

/// <summary>
/// A report query sent on the bus instead of through the API: answered with <see cref="ReportReady"/> or
/// <see cref="ReportRejected"/> (MassTransit request/response). The worker stores it as the API would, a TDQL in
/// report_db, so <c>status</c>, <c>requeue</c> and the API see it too.
/// </summary>
/// <param name="QType"><c>count</c>, <c>related</c> or <c>threatrank</c>.</param>
/// <param name="QData">The canonical qdata JSON (UTF-8) encrypted with the report module's public key in the API's
/// layout (RSA-OAEP session key | EAX nonce | tag | ciphertext); the plain JSON only when <paramref name="Encrypted"/>
/// is false and the worker allows plain queries (<c>Bus:AllowPlainQueries</c>).</param>
/// <param name="UserId">The requesting user's <c>_hash</c> in identity_db. Taken as the requester only from a
/// broker user the operator lists as a trusted service (<c>Queries:TrustedPublishers</c>, checked against the
/// <c>user_id</c> RabbitMQ validates); with a <paramref name="Token"/> it must be the token's user, or left out.</param>
/// <param name="Redo">As the API's redo: compute afresh even if this hour already has an answer.</param>
/// <param name="Token">The user's CYBEX-P token, the JWT the API issues at login (HS256, payload <c>_hash</c> and
/// <c>sub_type</c>): the report is for the user it names.</param>
public sealed record SubmitReportQuery(string QType, byte[] QData, bool Encrypted, string? UserId = null, bool Redo = false, string? Token = null);
