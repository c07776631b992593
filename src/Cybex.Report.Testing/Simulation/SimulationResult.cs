namespace Cybex.Report.Testing.Simulation;

/// <summary>
/// How one schedule ended: the invariant it broke (null when none), how many claim writes made fewer edits than they
/// had claims (so a run can show that path was explored) and, when asked for, what happened.
/// </summary>
public sealed record SimulationResult(int Seed, string? Violation, int Steps, int ShortClaimWrites, IReadOnlyList<string> Trace);
