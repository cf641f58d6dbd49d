namespace Mnist.Core.Inference;

/// <summary>The outcome for one file: a prediction, or the reason there is none.</summary>
public sealed record FilePrediction(string File, Prediction? Prediction, string? Error)
{
    public bool Succeeded => Prediction is not null;
}

/// <summary><c>mnist predict</c>: one model, many files; a bad file is its own error, never the batch's.</summary>
public static class FilePredictions
{
    public static IEnumerable<FilePrediction> Run(IInferenceEngine engine, IEnumerable<string> files, ImageLimits? limits = null)
    {
        foreach (var file in files)
        {
            FilePrediction result;
            try
            {
                var prediction = engine.Predict([ImagePreprocessor.FromEncoded(File.ReadAllBytes(file), limits)])[0];
                result = new FilePrediction(file, prediction, null);
            }
            catch (ImageRejectedException e)
            {
                result = new FilePrediction(file, null, e.Message);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                result = new FilePrediction(file, null, e is FileNotFoundException ? "file not found" : e.Message);
            }
            yield return result;
        }
    }
}
