namespace Cybex.Report.Domain.Answering;

/// <summary>The report store refused a report for good (too large, unserialisable): the same report never fits.</summary>
public sealed class ReportNotStorableException(string message, Exception inner) : Exception(message, inner);
