/**
 * A bead's id wherever a page names it, as a link to that bead on the beads page (filtered
 * to it, its row marked): one way to get from any mention of a bead to the bead.
 */
import Link from 'next/link';

/** The beads page showing one bead. */
export const beadHref = (id: string) => `/beads?q=${encodeURIComponent(id)}`;

export function BeadLink({ id }: { id: string }) {
  return (
    <Link
      href={beadHref(id)}
      className="font-mono text-sky-700 underline-offset-4 hover:underline dark:text-sky-300"
      data-testid="bead-link"
    >
      {id}
    </Link>
  );
}
