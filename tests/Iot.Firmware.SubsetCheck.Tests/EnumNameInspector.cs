using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Iot.Firmware.SubsetCheck.Tests;

/// <summary>
/// Reads an assembly's IL and lists every place an enum value is turned into text by its name: ToString on an
/// enum (constrained call or boxed), or a boxed enum passed to string.Concat/Format. nanoFramework strips enum
/// names unless the build keeps reflection metadata, so on the device these print a number, or throw.
/// </summary>
public static class EnumNameInspector
{
    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes).GetFields()
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value, o => o.OperandType);

    public static IReadOnlyList<string> Inspect(string assemblyPath)
    {
        var directory = Path.GetDirectoryName(assemblyPath)!;
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        var md = pe.GetMetadataReader();
        var findings = new List<string>();
        foreach (var typeHandle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(typeHandle);
            foreach (var methodHandle in type.GetMethods())
            {
                var method = md.GetMethodDefinition(methodHandle);
                if (method.RelativeVirtualAddress == 0) continue;
                string where = $"{md.GetString(type.Namespace)}.{md.GetString(type.Name)}.{md.GetString(method.Name)}";
                var il = pe.GetMethodBody(method.RelativeVirtualAddress).GetILReader();
                EntityHandle enumOperand = default;
                while (il.RemainingBytes > 0)
                {
                    short code = il.ReadByte();
                    if (code == 0xFE) code = (short)(0xFE00 | il.ReadByte());
                    var operandType = Operands[code];
                    EntityHandle token = operandType is OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineTok
                        ? MetadataTokens.EntityHandle(il.ReadInt32()) : default;
                    if (!token.IsNil && code is 0x8C /* box */ or unchecked((short)0xFE16) /* constrained. */)
                    {
                        enumOperand = IsEnum(md, token, directory) ? token : default;
                        continue;
                    }
                    if (!enumOperand.IsNil && code is 0x28 or 0x6F /* call, callvirt */ && MethodName(md, token) is "ToString" or "Concat" or "Format")
                        findings.Add($"{where}: enum {TypeName(md, enumOperand)} turned into text by name ({MethodName(md, token)})");
                    enumOperand = default;
                    Skip(ref il, operandType, token);
                }
            }
        }
        return findings;
    }

    private static void Skip(ref BlobReader il, OperandType operandType, EntityHandle alreadyRead)
    {
        if (!alreadyRead.IsNil) return;
        switch (operandType)
        {
            case OperandType.InlineNone: break;
            case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: il.Offset += 1; break;
            case OperandType.InlineVar: il.Offset += 2; break;
            case OperandType.InlineI8 or OperandType.InlineR: il.Offset += 8; break;
            case OperandType.InlineSwitch: int targets = il.ReadInt32(); il.Offset += 4 * targets; break;
            default: il.Offset += 4; break;
        }
    }

    private static string MethodName(MetadataReader md, EntityHandle handle) => handle.Kind switch
    {
        HandleKind.MemberReference => md.GetString(md.GetMemberReference((MemberReferenceHandle)handle).Name),
        HandleKind.MethodDefinition => md.GetString(md.GetMethodDefinition((MethodDefinitionHandle)handle).Name),
        HandleKind.MethodSpecification => MethodName(md, md.GetMethodSpecification((MethodSpecificationHandle)handle).Method),
        _ => "",
    };

    private static string TypeName(MetadataReader md, EntityHandle handle) => handle.Kind switch
    {
        HandleKind.TypeDefinition => md.GetString(md.GetTypeDefinition((TypeDefinitionHandle)handle).Name),
        HandleKind.TypeReference => md.GetString(md.GetTypeReference((TypeReferenceHandle)handle).Name),
        _ => "?",
    };

    /// <summary>An enum defined here, or in a referenced assembly found next to this one (the stand-ins, mscorlib).</summary>
    private static bool IsEnum(MetadataReader md, EntityHandle handle, string directory)
    {
        if (handle.Kind == HandleKind.TypeDefinition) return ExtendsEnum(md, md.GetTypeDefinition((TypeDefinitionHandle)handle));
        if (handle.Kind != HandleKind.TypeReference) return false;
        var reference = md.GetTypeReference((TypeReferenceHandle)handle);
        if (reference.ResolutionScope.Kind != HandleKind.AssemblyReference) return false;
        var file = Path.Combine(directory, md.GetString(md.GetAssemblyReference((AssemblyReferenceHandle)reference.ResolutionScope).Name) + ".dll");
        if (!File.Exists(file)) return false;
        using var pe = new PEReader(File.OpenRead(file));
        var other = pe.GetMetadataReader();
        return other.TypeDefinitions.Select(other.GetTypeDefinition).Any(t =>
            other.GetString(t.Name) == md.GetString(reference.Name) && other.GetString(t.Namespace) == md.GetString(reference.Namespace) && ExtendsEnum(other, t));
    }

    private static bool ExtendsEnum(MetadataReader md, TypeDefinition type) =>
        type.BaseType.Kind == HandleKind.TypeReference && md.GetTypeReference((TypeReferenceHandle)type.BaseType) is var b
        && md.GetString(b.Name) == "Enum" && md.GetString(b.Namespace) == "System";
}
