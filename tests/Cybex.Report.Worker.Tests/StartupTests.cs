using Cybex.Report.Testing;
using System.Diagnostics;
using Xunit;

namespace Cybex.Report.Worker.Tests;

/// <summary>
/// The worker process refuses to start on what would fail every query later, with one line naming the problem and
/// the exit codes of the CLI (2 configuration, 3 database, 4 broker), never the runtime's abort (134).
/// </summary>
public class StartupTests
{
    private static async Task<(int ExitCode, string Stderr)> RunWorkerAsync(TestEnvironment env, Action<Dictionary<string, string?>> tweak, int? uid = null)
    {
        var settings = env.Settings();
        tweak(settings);
        var worker = Path.Combine(AppContext.BaseDirectory, "cybex-report-worker.dll");
        // As the container's non-root user (uid and gid 1654, "app" in the .NET images).
        var info = new ProcessStartInfo(uid is null ? "dotnet" : "setpriv",
            uid is null ? [worker] : [$"--reuid={uid}", $"--regid={uid}", "--clear-groups", "dotnet", worker])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in settings)
        {
            if (value is null) info.Environment.Remove(key.Replace(":", "__"));
            else info.Environment[key.Replace(":", "__")] = value;
        }
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        if (uid is not null) info.Environment["HOME"] = info.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException("the worker did not exit: it started on a configuration it should refuse");
        }
        return (process.ExitCode, await stderr + await stdout);
    }

    [Theory]
    [InlineData("not a key", "is not a PEM RSA key")]
    [InlineData("public key", "holds only a public key")]
    [InlineData("missing", "does not exist")]
    public async Task A_private_key_that_cannot_work_stops_the_start_naming_the_file(string kind, string expected)
    {
        await using var env = new TestEnvironment();
        var file = Path.Combine(Path.GetTempPath(), $"{env.Prefix}bad.pem");
        if (kind == "not a key") await File.WriteAllTextAsync(file, "-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n");
        if (kind == "public key") await File.WriteAllTextAsync(file, KeyPairs.Generate().PublicPem);
        await AssertStartStoppedNamingAsync(env, "Reports:PrivateKeyFile", file, expected);
    }

    /// <summary>The worker given <paramref name="file"/> as <paramref name="key"/> exits 2 with a line naming the file and the problem.</summary>
    private static async Task AssertStartStoppedNamingAsync(TestEnvironment env, string key, string file, string expected)
    {
        try
        {
            var (code, stderr) = await RunWorkerAsync(env, s => s[key] = file);

            Assert.Equal(2, code);
            Assert.Contains(file, stderr);
            Assert.Contains(expected, stderr);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("the API's default secret", "at least 32")]
    [InlineData("missing", "cannot be read")]
    public async Task A_token_secret_that_cannot_work_stops_the_start_naming_the_file(string kind, string expected)
    {
        await using var env = new TestEnvironment();
        var file = Path.Combine(Path.GetTempPath(), $"{env.Prefix}bad.jwt-secret");
        if (kind != "missing") await File.WriteAllTextAsync(file, "secret\n");
        await AssertStartStoppedNamingAsync(env, "Queries:TokenSecretFile", file, expected);
    }

    [Fact]
    public async Task No_private_key_stops_the_start_unless_unencrypted_queries_only_are_allowed()
    {
        await using var env = new TestEnvironment();
        var (code, stderr) = await RunWorkerAsync(env, s => s["Reports:PrivateKeyFile"] = null);

        Assert.Equal(2, code);
        Assert.Contains("Reports:AllowUnencryptedQueriesOnly", stderr);

        // Allowed explicitly: it starts (and is stopped here by an unreachable broker instead, after the key check).
        var (allowed, text) = await RunWorkerAsync(env, s =>
        {
            s["Reports:PrivateKeyFile"] = null;
            s["Reports:AllowUnencryptedQueriesOnly"] = "true";
            s["Bus:Port"] = "1";
            s["Bus:StartTimeoutSeconds"] = "3";
        });
        Assert.Equal(4, allowed);
        Assert.DoesNotContain("PrivateKeyFile", text);
    }

    [Fact]
    public async Task An_unreachable_database_stops_the_start_with_exit_code_3()
    {
        await using var env = new TestEnvironment();
        var (code, stderr) = await RunWorkerAsync(env, s => s["Mongo:Url"] = "mongodb://127.0.0.1:1/?serverMonitoringMode=poll&serverSelectionTimeoutMS=2000");

        Assert.Equal(3, code);
        Assert.Contains("database unreachable at 127.0.0.1:1", stderr);
    }

    [Fact]
    public async Task An_unreachable_broker_stops_the_start_with_exit_code_4()
    {
        await using var env = new TestEnvironment();
        var (code, stderr) = await RunWorkerAsync(env, s =>
        {
            s["Bus:Port"] = "1";
            s["Bus:StartTimeoutSeconds"] = "3";
        });

        Assert.Equal(4, code);
        Assert.Contains("broker", stderr);
        Assert.Contains(":1", stderr);
    }

    [Fact]
    public async Task The_container_user_reads_a_key_of_mode_0440_in_its_group_and_is_refused_one_only_root_can_read()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName != "root")
        {
            // Changing a file's group needs root (and Unix); CI runs as root on Linux.
            return;
        }
        const int containerUser = 1654;
        await using var env = new TestEnvironment();
        var dir = Directory.CreateTempSubdirectory("cybex-key-");
        var file = Path.Combine(dir.FullName, "priv.pem");
        try
        {
            await File.WriteAllTextAsync(file, await File.ReadAllTextAsync(env.PrivateKeyFile));
            File.SetUnixFileMode(dir.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            // Past the key check the start stops at an unreachable broker: exit 4 proves the key was accepted.
            void Settings(Dictionary<string, string?> s)
            {
                s["Reports:PrivateKeyFile"] = file;
                s["Bus:Port"] = "1";
                s["Bus:StartTimeoutSeconds"] = "3";
            }

            var (refused, text) = await RunWorkerAsync(env, Settings, containerUser);
            Assert.Equal(2, refused);
            Assert.Contains("cannot be read by this process", text);
            Assert.Contains(file, text);

            // What the README tells operators: group 1654, mode 0440.
            using (var chgrp = Process.Start("chgrp", [containerUser.ToString(), file])!)
            {
                await chgrp.WaitForExitAsync();
                Assert.Equal(0, chgrp.ExitCode);
            }
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead);
            var (accepted, _) = await RunWorkerAsync(env, Settings, containerUser);
            Assert.Equal(4, accepted);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Secret_files_are_configuration_keys_as_container_secrets_mount_them()
    {
        await using var env = new TestEnvironment();
        var dir = Directory.CreateTempSubdirectory("cybex-run-secrets-");
        try
        {
            // As compose mounts `target: Bus__Port`: the file's content is Bus:Port.
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "Bus__Port"), "2");
            var (code, stderr) = await RunWorkerAsync(env, s =>
            {
                s["CYBEX_SECRETS_DIR"] = dir.FullName;
                s["Bus:StartTimeoutSeconds"] = "3";
            });

            Assert.Equal(4, code);
            Assert.Contains(":2 ", stderr);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
