using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/Cybex.Report.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Cybex.Report.Benchmarks.CpuPathBenchmarks).Assembly).Run(args);
