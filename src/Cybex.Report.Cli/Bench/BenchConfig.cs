namespace Cybex.Report.Cli.Bench;

/// <summary>A bench run's shape.</summary>
/// <param name="Via"><c>tdql</c> (written as the API writes them, answered by nonce) or <c>bus</c> (SubmitReportQuery).</param>
/// <param name="Warmup">Queries answered one by one before the measured window.</param>
public sealed record BenchConfig(int Events, int Queries, string Mode, int Concurrency, int RelatedPercent, int IdleSeconds, string Via = "tdql", int Warmup = 0);
