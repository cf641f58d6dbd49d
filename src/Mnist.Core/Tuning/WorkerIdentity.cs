using System.Diagnostics;
using System.Globalization;

namespace Mnist.Core.Tuning;

/// <summary>
/// A worker's name, <c>host:pid:start:tag:space</c>: the machine, the process id and its start
/// time (Unix milliseconds, so a recycled process id is not mistaken for the same worker), a
/// random tag, and the process-id space it lives in (the kernel's boot id and pid namespace, so
/// that containers sharing a host name are never judged by each other's process tables). From it
/// a worker in the same process-id space can tell that another one is dead.
/// </summary>
public static class WorkerIdentity
{
    /// <summary>A fresh name for a worker of this process (its tag differs from the others').</summary>
    public static string NewForThisProcess()
    {
        using var self = Process.GetCurrentProcess();
        return Make(Environment.MachineName, self.Id, StartMs(self));
    }

    public static string Make(string host, int pid, long startMs) =>
        string.Create(CultureInfo.InvariantCulture, $"{host}:{pid}:{startMs}:{Guid.NewGuid().ToString("N")[..6]}:{ProcessSpace.Value}");

    /// <summary>This process's process-id space: the boot id and the pid namespace's inode (Linux); empty elsewhere, which is never matched.</summary>
    private static readonly Lazy<string> ProcessSpace = new(() =>
    {
        try
        {
            var boot = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
            var ns = new FileInfo("/proc/self/ns/pid").LinkTarget ?? "";
            var inode = ns.StartsWith("pid:[", StringComparison.Ordinal) ? ns[5..^1] : "";
            return boot.Length >= 8 && inode.Length > 0 ? $"{boot[..8]}-{inode}" : "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    });

    /// <summary>
    /// True only when <paramref name="worker"/> names a process of this host that is gone (no
    /// process with its id, or one started at another time). Names of other hosts, or that do
    /// not parse, are never known dead: their heartbeat decides.
    /// </summary>
    public static bool IsKnownDead(string worker)
    {
        var parts = worker.Split(':');
        if (parts.Length != 5 || parts[0] != Environment.MachineName || parts[4].Length == 0 || parts[4] != ProcessSpace.Value) return false;
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) return false;
        if (!long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var startMs)) return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited) return true;
            return Math.Abs(StartMs(process) - startMs) > 1000; // the id was recycled by another process
        }
        catch (ArgumentException)
        {
            return true; // no such process
        }
        catch (InvalidOperationException)
        {
            return true; // it exited while we looked
        }
    }

    private static long StartMs(Process p) => new DateTimeOffset(p.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds();
}
