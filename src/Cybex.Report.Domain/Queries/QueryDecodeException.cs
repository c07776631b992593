namespace Cybex.Report.Domain.Queries;

/// <summary>A TDQL whose qdata cannot be turned back into the query the user sent.</summary>
public sealed class QueryDecodeException(string message) : Exception(message);
