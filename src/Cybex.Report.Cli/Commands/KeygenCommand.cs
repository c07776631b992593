using System.CommandLine;
using Cybex.Report.Cli.Parsing;
using Cybex.Report.Testing;

namespace Cybex.Report.Cli.Commands;

public static class KeygenCommand
{
    public static Command Create()
    {
        var dir = CliOptions.Text("--out", "DIR", "where the pair is written", "secrets");
        var force = CliOptions.Flag("--force", "overwrite existing files");
        var command = new Command("keygen",
            "Writes an RSA-2048 pair: DIR/priv.pem (PKCS#1, for the worker's Reports:PrivateKeyFile) and DIR/pub.pem (SubjectPublicKeyInfo, for the API and 'submit').")
        {
            dir, force,
        };
        command.SetAction(r => Write(r.GetValue(dir)!, r.GetValue(force)));
        return command;
    }

    public static int Write(string dir, bool force)
    {
        var priv = Path.Combine(dir, "priv.pem");
        var pub = Path.Combine(dir, "pub.pem");
        if (!force && (File.Exists(priv) || File.Exists(pub))) throw new CliException($"{priv} or {pub} exists; use --force to replace them");
        Directory.CreateDirectory(dir);
        var (privatePem, publicPem) = KeyPairs.Generate();
        KeyPairs.WritePrivate(priv, privatePem);
        File.WriteAllText(pub, publicPem);
        Console.WriteLine($"wrote {priv} (private, mode 600) and {pub} (public)");
        return 0;
    }
}
