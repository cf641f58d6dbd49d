using Mnist.Core.Infrastructure;

namespace Mnist.Core.Interchange;

/// <summary>The interchange formats a model file is exported to, by their names (<see cref="Choice"/>): <c>onnx</c>.</summary>
public enum ExportFormat
{
    /// <summary>An ONNX graph of standard operators (<see cref="OnnxExporter"/>).</summary>
    Onnx,
}
