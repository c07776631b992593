namespace Cybex.Report.Testing.Simulation;

/// <summary>How one schedule ended: the invariant it broke (null when none) and, when asked for, what happened.</summary>
public sealed record SimulationResult(int Seed, string? Violation, int Steps, IReadOnlyList<string> Trace);
