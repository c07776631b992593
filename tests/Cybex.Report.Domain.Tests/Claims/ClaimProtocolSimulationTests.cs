using System.Diagnostics;
using Cybex.Report.Testing.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace Cybex.Report.Domain.Tests.Claims;

/// <summary>
/// The claim protocol explored, not observed once: many seeded schedules of watchers, report consumers and reply
/// consumers, with kills, lost, late and doubled messages, API redos and clock jumps (<see cref="ClaimSimulation"/>).
/// A failing schedule names its seed; <c>CYBEX_SIM_SEED=N</c> replays it with its trace.
/// </summary>
public class ClaimProtocolSimulationTests(ITestOutputHelper output)
{
    private static int Schedules => int.TryParse(Environment.GetEnvironmentVariable("CYBEX_SIM_SCHEDULES"), out var n) ? n : 100_000;

    [Fact]
    public async Task Every_schedule_answers_every_query_once_and_loses_no_nonce()
    {
        var watch = Stopwatch.StartNew();
        var workers = Environment.ProcessorCount;
        // Off the test's synchronization context: a schedule's steps must run inline on one thread.
        var runs = await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() =>
        {
            var failed = new List<SimulationResult>();
            long steps = 0;
            for (var seed = w; seed < Schedules; seed += workers)
            {
                var result = ClaimSimulation.Run(seed);
                steps += result.Steps;
                if (result.Violation is not null) failed.Add(result);
            }
            return (failed, steps);
        })));
        var failures = runs.SelectMany(r => r.failed).OrderBy(r => r.Seed).ToList();
        output.WriteLine($"{Schedules} schedules, {runs.Sum(r => r.steps)} steps, {failures.Count} failed, {watch.Elapsed.TotalSeconds:F1} s");
        foreach (var byInvariant in failures.GroupBy(f => Kind(f.Violation!)))
        {
            output.WriteLine($"{byInvariant.Count()} × {byInvariant.Key}: seeds {string.Join(", ", byInvariant.Take(10).Select(f => f.Seed))}");
        }
        Assert.True(failures.Count == 0,
            $"{failures.Count} schedules broke an invariant; first: seed {failures.FirstOrDefault()?.Seed}: {failures.FirstOrDefault()?.Violation} (replay with CYBEX_SIM_SEED)");
    }

    [Fact]
    public async Task A_seed_replays_the_same_schedule()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CYBEX_SIM_SEED"), out var s) ? s : 7;
        var first = await Task.Run(() => ClaimSimulation.Run(seed, trace: true));
        var again = await Task.Run(() => ClaimSimulation.Run(seed, trace: true));
        foreach (var line in first.Trace) output.WriteLine(line);
        output.WriteLine($"seed {seed}: {first.Violation ?? "every invariant held"} after {first.Steps} steps");
        Assert.Equal(first.Trace, again.Trace);
        Assert.Equal(first.Violation, again.Violation);
    }

    /// <summary>The invariant a violation names, without the hashes that differ between seeds.</summary>
    private static string Kind(string violation) =>
        System.Text.RegularExpressions.Regex.Replace(violation, @"\b[0-9a-f]{6}\b|\d+ times", "…");
}
