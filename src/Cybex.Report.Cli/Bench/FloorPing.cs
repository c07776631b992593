namespace Cybex.Report.Cli.Bench;

/// <summary>The message <c>bench --floor</c> sends through the bus to itself.</summary>
public sealed record FloorPing(int Id);
