using Mnist.Core.Infrastructure;

namespace Mnist.Core.Reporting;

/// <summary>What <c>mnist report</c> asks for.</summary>
public sealed record ReportRequest
{
    /// <summary>A run folder, or the output folder of <c>mnist tune</c> or <c>mnist pipeline</c>.</summary>
    public required string Dir { get; init; }

    /// <summary>The data, needed only to find the mistakes of a run that predates mistakes.json.</summary>
    public string? DataDir { get; init; }
    public int? Threads { get; init; }
    public DeviceKind Device { get; init; } = DeviceKind.Cpu;

    /// <summary>A study held elsewhere (a PostgreSQL URL, or a sqlite:/// file) to include as well: its name is <see cref="Study"/>.</summary>
    public string? Storage { get; init; }

    /// <summary>The study in <see cref="Storage"/> to include.</summary>
    public string? Study { get; init; }
}

/// <summary>What a report holds: its file, the runs and studies in it, the pictures it had to draw, and what it could not show.</summary>
public sealed record ReportOutcome(string Path, IReadOnlyList<string> Runs, IReadOnlyList<string> Studies, IReadOnlyList<string> Drawn, IReadOnlyList<string> Notes);

/// <summary>
/// <c>mnist report</c>: one self-contained HTML page (DIR/report.html, pictures inlined as data:
/// URIs) with a run's numbers (test accuracy and loss, per-class precision / recall / F1,
/// epochs, best epoch), its pictures and its hyperparameters; for a tune or pipeline folder,
/// also each study's pictures and trials table. Four steps, each its own type: read what the
/// folder holds (<see cref="ReportSources"/>), draw the pictures it lacks (<see cref="ReportBackfill"/>),
/// build the page as data (<see cref="ReportPage"/>), render it (<see cref="ReportHtml"/>).
/// </summary>
public static class RunReport
{
    public const string FileName = "report.html";

    public static async Task<ReportOutcome> WriteAsync(ReportRequest request, TextWriter? log = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        log ??= TextWriter.Null;
        var sources = ReportSources.Load(request);
        var backfill = await ReportBackfill.RunAsync(sources, request, log, ct).ConfigureAwait(false);
        var notes = sources.Notes.Concat(backfill.Notes).ToList();
        var page = ReportPage.From(sources, notes, DateTimeOffset.UtcNow);
        var path = Path.Combine(sources.Dir, FileName);
        AtomicFile.WriteAllText(path, ReportHtml.Render(page));
        foreach (var n in notes) log.WriteLine($"note: {n}");
        return new ReportOutcome(path, sources.Runs.Select(r => r.Folder.Path).ToList(), sources.Studies.Select(s => s.Location).ToList(), backfill.Drawn, notes);
    }
}
