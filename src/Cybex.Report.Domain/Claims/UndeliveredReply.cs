namespace Cybex.Report.Domain.Claims;

/// <summary>A reply given up, kept for operators (<c>cybex-report status</c>): where it was to go and why it did not.</summary>
public sealed record UndeliveredReply(string TdqlHash, string Host, int Port, string Failure);
