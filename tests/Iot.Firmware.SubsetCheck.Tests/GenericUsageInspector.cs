using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Iot.Firmware.SubsetCheck.Tests;

/// <summary>
/// Reads an assembly's metadata and lists every use of generics nanoFramework cannot run:
/// generic type or method definitions, generic instantiations (TypeSpec/MethodSpec rows) and generic
/// instantiations written inline in field, method, local-variable and member-reference signatures.
/// </summary>
public static class GenericUsageInspector
{
    public static IReadOnlyList<string> Inspect(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var findings = new List<string>();
        var provider = new Provider(md);

        foreach (var handle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(handle);
            string typeName = Name(md, type);
            if (type.GetGenericParameters().Count > 0) findings.Add($"generic type definition {typeName}");

            foreach (var fh in type.GetFields())
            {
                var field = md.GetFieldDefinition(fh);
                Check(findings, provider, $"field {typeName}.{md.GetString(field.Name)}", () => field.DecodeSignature(provider, null));
            }

            foreach (var mh in type.GetMethods())
            {
                var method = md.GetMethodDefinition(mh);
                string methodName = $"{typeName}.{md.GetString(method.Name)}";
                if (method.GetGenericParameters().Count > 0) findings.Add($"generic method definition {methodName}");
                Check(findings, provider, $"signature of {methodName}", () => method.DecodeSignature(provider, null));

                if (method.RelativeVirtualAddress == 0) continue;
                var body = pe.GetMethodBody(method.RelativeVirtualAddress);
                if (!body.LocalSignature.IsNil)
                {
                    var locals = md.GetStandaloneSignature(body.LocalSignature);
                    Check(findings, provider, $"locals of {methodName}", () => locals.DecodeLocalSignature(provider, null));
                }
            }
        }

        foreach (var handle in md.MemberReferences)
        {
            var member = md.GetMemberReference(handle);
            string name = md.GetString(member.Name);
            if (member.Parent.Kind == HandleKind.TypeSpecification)
            {
                Check(findings, provider, $"member {name} of a constructed type",
                    () => md.GetTypeSpecification((TypeSpecificationHandle)member.Parent).DecodeSignature(provider, null));
            }
            if (member.GetKind() == MemberReferenceKind.Method)
                Check(findings, provider, $"reference to {name}", () => member.DecodeMethodSignature(provider, null));
            else
                Check(findings, provider, $"reference to {name}", () => member.DecodeFieldSignature(provider, null));
        }

        for (int row = 1; row <= md.GetTableRowCount(TableIndex.TypeSpec); row++)
        {
            var spec = md.GetTypeSpecification(MetadataTokens.TypeSpecificationHandle(row));
            Check(findings, provider, $"TypeSpec #{row}", () => spec.DecodeSignature(provider, null));
        }

        for (int row = 1; row <= md.GetTableRowCount(TableIndex.MethodSpec); row++)
        {
            var spec = md.GetMethodSpecification(MetadataTokens.MethodSpecificationHandle(row));
            string target = spec.Method.Kind == HandleKind.MethodDefinition
                ? md.GetString(md.GetMethodDefinition((MethodDefinitionHandle)spec.Method).Name)
                : md.GetString(md.GetMemberReference((MemberReferenceHandle)spec.Method).Name);
            findings.Add($"generic method instantiation (MethodSpec) of {target}");
        }

        return findings.Distinct().ToList();
    }

    private static void Check(List<string> findings, Provider provider, string where, Action decode)
    {
        provider.Instantiations.Clear();
        decode();
        foreach (var inst in provider.Instantiations) findings.Add($"generic instantiation {inst} in {where}");
    }

    private static string Name(MetadataReader md, TypeDefinition type)
    {
        string ns = md.GetString(type.Namespace);
        string name = md.GetString(type.Name);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    /// <summary>Turns signatures into readable names and remembers every generic instantiation met.</summary>
    private sealed class Provider(MetadataReader md) : ISignatureTypeProvider<string, object?>
    {
        public List<string> Instantiations { get; } = [];

        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments)
        {
            string text = $"{genericType}<{string.Join(",", typeArguments)}>";
            Instantiations.Add(text);
            return text;
        }

        public string GetArrayType(string elementType, ArrayShape shape) => $"{elementType}[{new string(',', shape.Rank - 1)}]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;
        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetPinnedType(string elementType) => elementType;
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => Name(md, md.GetTypeDefinition(handle));
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var r = md.GetTypeReference(handle);
            return md.GetString(r.Namespace) + "." + md.GetString(r.Name);
        }
        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind)
            => md.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
    }
}
