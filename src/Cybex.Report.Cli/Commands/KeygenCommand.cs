using Cybex.Report.Testing;

namespace Cybex.Report.Cli.Commands;

public static class KeygenCommand
{
    public const string Help = """
        cybex-report keygen [--out DIR] [--force]
          Writes an RSA-2048 pair: DIR/priv.pem (PKCS#1, for the worker's Reports:PrivateKeyFile) and
          DIR/pub.pem (SubjectPublicKeyInfo, for the API and 'submit'). DIR defaults to ./secrets.
          --force  overwrite existing files
        """;

    public static Task<int> RunAsync(CliArgs args, CancellationToken ct)
    {
        var dir = args.Get("out") ?? "secrets";
        var force = args.Has("force");
        args.EnsureAllUsed();
        var priv = Path.Combine(dir, "priv.pem");
        var pub = Path.Combine(dir, "pub.pem");
        if (!force && (File.Exists(priv) || File.Exists(pub))) throw new CliException($"{priv} or {pub} exists; use --force to replace them");
        Directory.CreateDirectory(dir);
        var (privatePem, publicPem) = KeyPairs.Generate();
        KeyPairs.WritePrivate(priv, privatePem);
        File.WriteAllText(pub, publicPem);
        Console.WriteLine($"wrote {priv} (private, mode 600) and {pub} (public)");
        return Task.FromResult(0);
    }
}
