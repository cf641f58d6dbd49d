using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Mnist.Core.Tuning;

namespace Mnist.Web.Dashboard;

/// <summary>
/// The dashboard's JSON API. Each request reads the studies afresh (read-only); a study that is not there is
/// a 404 problem naming it and the studies that are, a database out of reach a 503 problem.
/// </summary>
internal static class DashboardEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/api/studies", (StudySource source) => Answer(() => List(source)));
        app.MapGet("/api/studies/{name}", (string name, StudySource source, TimeProvider clock) =>
            Answer(() => source.Read(name, store => DashboardViews.State(store.Definition, store.Trials(), clock.GetUtcNow()))));
        app.MapGet("/api/studies/{name}/trials", (string name, StudySource source, TimeProvider clock) =>
            Answer(() => source.Read(name, store =>
            {
                var trials = store.Trials();
                var epochs = store.EpochsOfEveryTrial();
                return DashboardViews.Trials(store.Definition, trials, id => epochs.TryGetValue(id, out var e) ? e : [], clock.GetUtcNow());
            })));
        app.MapGet("/api/studies/{name}/importance", (string name, StudySource source) =>
            Answer(() => source.Read(name, store => HyperparameterImportance.Compute(store.Definition, store.Trials()))));
        app.MapGet("/healthz", (StudySource source) => Results.Json(new Health("ok", source.Display), DashboardViews.JsonOptions));
    }

    /// <summary>Every study of the source, each summarised; one that vanishes or is still being made between the listing and its read is left out.</summary>
    internal static StudyList List(StudySource source)
    {
        var studies = new List<StudySummary>();
        foreach (var name in source.Names())
        {
            try
            {
                studies.Add(source.Read(name, store => DashboardViews.Summary(store.Definition, store.Trials())));
            }
            catch (Exception e) when (e is StudyNotFoundException or InvalidDataException or FileNotFoundException)
            {
                // gone, or not a study yet: the next poll sees it as it is then
            }
        }
        return new StudyList(source.Display, studies);
    }

    private static IResult Answer<T>(Func<T> read)
    {
        try
        {
            var value = read();
            return Results.Json(value, DashboardViews.JsonOptions);
        }
        catch (StudyNotFoundException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such study", detail: e.Message);
        }
        catch (StudyStoreUnavailableException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Study storage unreachable", detail: e.Message);
        }
        catch (NotEnoughTrialsException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not enough trials for importance", detail: e.Message);
        }
        catch (InvalidDataException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "Unreadable study", detail: e.Message);
        }
    }

    private sealed record Health(string Status, string Source);
}
